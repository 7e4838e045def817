"""Behind a reverse proxy: whom to believe about the visitor, and HSTS on https.

``LXL_PROXY_HOPS`` proxies in front of the app (one in production: ``bin/production``'s
HAProxy, or yours; none otherwise) are trusted for ``X-Forwarded-For``, ``-Proto`` and
``-Host`` (Werkzeug's ``ProxyFix``), taking the value the nearest of them appended: so
``request.remote_addr`` is the visitor's address, which the per-address rate limits count,
and ``request.scheme`` is what the visitor used. A forwarded header the visitor wrote
themselves is never believed. With no proxy in front, these headers must not be trusted
at all: the setting must stay 0.
"""

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

# RFC 6797 §6.1: two years, the value browsers' preload lists ask for, subdomains included.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def strict_transport_security(response):
    """Tell browsers to use only https for this host, on every response sent over https."""
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def init_app(app):
    """Trust ``LXL_PROXY_HOPS`` proxies' forwarded headers; send HSTS on https."""
    hops = app.config["LXL_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(strict_transport_security)
