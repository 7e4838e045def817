"""Resolve ``*.localhost`` to loopback for the app's own outgoing HTTP calls.

RFC 6761 §6.3 reserves ``localhost`` and every name under it for loopback, and browsers
resolve them so; Python's resolver does not (BROWSER_NOTES.md). The NGO site's backend calls
the IdP (discovery, token, JWKS) at ``http://id.localhost:PORT``, so this is the one place that
teaches the process those names. Other names go to the system resolver untouched.
"""

import os
import socket
from urllib.parse import urlsplit

_system_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and host.lower().rstrip(".").endswith(".localhost"):
        host = "127.0.0.1"
    return _system_getaddrinfo(host, *args, **kwargs)


def install():
    """Make ``socket.getaddrinfo`` map ``*.localhost`` to 127.0.0.1 (idempotent)."""
    socket.getaddrinfo = _getaddrinfo


def is_loopback_origin(origin):
    """True for ``http://localhost…`` and ``http://*.localhost…`` (RFC 6761 §6.3)."""
    host = urlsplit(origin).hostname or ""
    return host == "localhost" or host.endswith(".localhost")


def allow_http_for(origins):
    """Let Authlib accept plain HTTP when every origin is a loopback name.

    Browsers treat ``http://*.localhost`` as a secure context (W3C Secure Contexts §3.1);
    Authlib only knows ``localhost`` and IP literals, and refuses the rest with
    ``insecure_transport``. Production origins are https and leave this off.
    """
    if all(is_loopback_origin(o) for o in origins):
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
