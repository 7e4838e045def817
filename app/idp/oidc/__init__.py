"""OpenID Connect provider: the protocol, apart from the HTTP views.

Built on Authlib (RFC 6749, RFC 7636, OpenID Connect Core 1.0) and joserfc; what Authlib does
not do is added the Authlib way, as grant subclasses, extensions and hooks.
"""
