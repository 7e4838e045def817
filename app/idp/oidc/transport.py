"""Authlib's OAuth 2.0 requests, accepting plain HTTP on loopback names when configured.

Authlib checks every OAuth request's URI (``insecure_transport``, RFC 6749 §3.1, §3.2): https,
or plain HTTP to ``localhost`` or a loopback IP literal (RFC 8252 §7.3) — or anything at all
when the process-wide environment variable ``AUTHLIB_INSECURE_TRANSPORT`` is set. The local
origins are ``http://id.localhost:PORT``: loopback as well (RFC 6761 §6.3), but unknown to
Authlib. With ``LXL_INSECURE_LOOPBACK_HTTP`` on (app/loopback.py), Authlib's check is given
such a URI under the name it knows, ``localhost``; the request keeps its real URI. Every other
URI meets Authlib's check unchanged.
"""

from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request as _FlaskOAuth2Request
from authlib.oauth2 import OAuth2Request as _OAuth2Request
from authlib.oauth2.rfc6749.errors import InsecureTransportError

from ... import loopback


def _as_checked(uri):
    """Return the URI Authlib's transport check judges for a request to ``uri``."""
    if not loopback.allows_plain_http(uri):
        return uri
    parts = urlsplit(uri)
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"localhost{port}").geturl()


class OAuth2Request(_OAuth2Request):
    """Authlib's request, its transport checked as the module docstring says."""

    def __init__(self, method, uri, body=None, headers=None):
        super().__init__(method, _as_checked(uri), body=body, headers=headers)
        self.uri = uri


class FlaskOAuth2Request(_FlaskOAuth2Request, OAuth2Request):
    """Authlib's request made from Flask's, its transport checked as ``OAuth2Request``'s.

    Authlib's Flask request passes its URI on with ``super().__init__``; by this class's MRO
    that call reaches ``OAuth2Request`` above before Authlib's own.
    """


def _refuse(error):
    """Answer a request refused for its transport as OAuth JSON (400 ``insecure_transport``)."""
    error.description = ("OAuth requests must use https (RFC 6749 section 3.1): send this request "
                         "to the https origin of this server.")
    status, body, headers = error()
    return body, status, headers


def init_app(app):
    """Answer plain-HTTP OAuth requests with an OAuth error, not a server error."""
    app.register_error_handler(InsecureTransportError, _refuse)
