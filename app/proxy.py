"""Behind a reverse proxy: whom to believe about the visitor, and HSTS on https.

``LXL_PROXY_HOPS`` proxies in front of the app (one in production: ``bin/production``'s
HAProxy, or yours; none otherwise) are trusted for ``X-Forwarded-For``, ``-Proto`` and
``-Host`` (Werkzeug's ``ProxyFix``), taking the value the nearest of them appended: so
``request.remote_addr`` is the visitor's address, which the per-address rate limits count,
and ``request.scheme`` is what the visitor used. A forwarded header the visitor wrote
themselves is never believed. With no proxy in front, these headers must not be trusted
at all: the setting must stay 0.

They are believed only from the nearest proxy itself: a request whose peer address is not
in ``LXL_TRUSTED_PROXIES`` (default ``127.0.0.1,::1``, the proxy on the same machine) is
taken as it came, its peer as the visitor, whatever headers it carries. So a visitor who
reaches an instance around the proxy cannot choose the address the rate limits count.
"""

from ipaddress import ip_address, ip_network

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

# RFC 6797 §6.1: two years, subdomains included. Not ``preload``: asking browsers to build
# the domain in is its owner's decision, and takes months to undo.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


class TrustedProxyFix:
    """WSGI middleware: ``ProxyFix`` for requests from a trusted proxy, nothing for others."""

    def __init__(self, wsgi_app, hops, trusted_proxies):
        self.wsgi_app = wsgi_app
        self.proxied_app = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
        self.trusted_proxies = trusted_proxies

    def __call__(self, environ, start_response):
        app = self.proxied_app if self._from_trusted_proxy(environ) else self.wsgi_app
        return app(environ, start_response)

    def _from_trusted_proxy(self, environ):
        try:
            peer = ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:  # a Unix socket's peer, or none: not a proxy anyone named
            return False
        return any(peer in network for network in self.trusted_proxies)


def trusted_proxies(setting):
    """Parse ``LXL_TRUSTED_PROXIES``: addresses or networks, separated by commas."""
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    try:
        networks = [ip_network(entry) for entry in entries]
    except ValueError as error:
        raise RuntimeError(
            f"LXL_TRUSTED_PROXIES={setting!r}: {error}. List the IP addresses (or networks, "
            "such as 10.0.0.0/24) of the proxy in front of the app, separated by commas; "
            "unset, it is 127.0.0.1,::1 (a proxy on the same machine).") from None
    if not networks:
        raise RuntimeError(
            "LXL_TRUSTED_PROXIES is empty, so no proxy's forwarded headers would be "
            "believed: name the proxy's address, or set LXL_PROXY_HOPS=0 if there is none.")
    return networks


def strict_transport_security(response):
    """Tell browsers to use only https for this host, on every response sent over https."""
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def init_app(app):
    """Trust ``LXL_PROXY_HOPS`` proxies' forwarded headers from ``LXL_TRUSTED_PROXIES``;
    send HSTS on https."""
    hops = app.config["LXL_PROXY_HOPS"]
    if hops:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, hops,
                                       trusted_proxies(app.config["LXL_TRUSTED_PROXIES"]))
    app.after_request(strict_transport_security)
