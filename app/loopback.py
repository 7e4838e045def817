"""Loopback names (RFC 6761 §6.3): plain HTTP on them, and reaching them from the app itself.

``localhost`` and every name under it are loopback. Browsers resolve them so and treat
``http://*.localhost`` as a secure context (W3C Secure Contexts §3.1); Python knows neither
(BROWSER_NOTES.md). Both consequences are handled here, for this app only, never for the
whole process:

- ``LXL_INSECURE_LOOPBACK_HTTP``: the authorization server accepts plain HTTP on loopback
  names (``app.idp.oidc.transport`` applies it where Authlib checks the transport);
- ``LoopbackAdapter``: the app's own calls to its own origins (the NGO backend fetching the
  IdP's discovery, token and JWKS) connect ``*.localhost`` to 127.0.0.1.
"""

from urllib.parse import urlsplit

from flask import current_app
from requests.adapters import HTTPAdapter

from .sites import site_origins

INSECURE_LOOPBACK_HTTP = "LXL_INSECURE_LOOPBACK_HTTP"
LOOPBACK_ADDRESS = "127.0.0.1"


def is_loopback_host(host):
    """True for ``localhost`` and every name under it (RFC 6761 §6.3)."""
    host = (host or "").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def is_loopback_origin(origin):
    """True for ``http(s)://localhost…`` and ``http(s)://*.localhost…``."""
    return is_loopback_host(urlsplit(origin).hostname)


def all_origins_loopback(app=None):
    """True when both sites are served on loopback names: one machine, the embedded defaults."""
    return all(is_loopback_origin(origin) for origin in site_origins(app).values())


def init_app(app):
    """Settle ``LXL_INSECURE_LOOPBACK_HTTP``: on by default only when every origin is loopback.

    Turned on explicitly with an origin that is not loopback, it is refused: plain HTTP
    would then carry codes, tokens and passwords across a network.
    """
    origins = site_origins(app)
    allowed = app.config.get(INSECURE_LOOPBACK_HTTP)
    if allowed is None:
        allowed = all_origins_loopback(app)
    elif allowed:
        for name, origin in origins.items():
            if not is_loopback_origin(origin):
                raise RuntimeError(
                    f"{INSECURE_LOOPBACK_HTTP} is on, but the {name} origin {origin!r} is not "
                    "a loopback name (localhost or *.localhost): plain HTTP is allowed only "
                    f"there. Serve {origin!r} over https and turn {INSECURE_LOOPBACK_HTTP} off.")
    app.config[INSECURE_LOOPBACK_HTTP] = bool(allowed)


def allows_plain_http(uri):
    """True if the current app accepts ``uri`` over plain HTTP: a loopback name, setting on."""
    parts = urlsplit(uri)
    return (current_app.config[INSECURE_LOOPBACK_HTTP] and parts.scheme == "http"
            and is_loopback_host(parts.hostname))


class LoopbackAdapter(HTTPAdapter):
    """A requests transport that connects ``http://*.localhost`` to 127.0.0.1.

    The URL and the ``Host`` header keep the name, so the app routes the request to its
    site; requests for any other host pass through unchanged. Mount it on a session that
    calls the app's own origins. Loopback is never reached through a proxy.
    """

    def send(self, request, **kwargs):
        """Send ``request``; to a loopback name directly, with the name as ``Host``."""
        parts = urlsplit(request.url)
        if parts.scheme == "http" and is_loopback_host(parts.hostname):
            kwargs["proxies"] = {}
            request = request.copy()  # the caller's stays as it was: redirects copy its headers
            request.headers["Host"] = parts.netloc.rpartition("@")[2]
        return super().send(request, **kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        """Pick the connection pool by address: 127.0.0.1 for a loopback name."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        if host_params["scheme"] == "http" and is_loopback_host(host_params["host"]):
            host_params["host"] = LOOPBACK_ADDRESS
        return host_params, pool_kwargs
