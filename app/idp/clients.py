"""Registering relying parties (the metadata of OIDC Dynamic Client Registration §2).

What is registered ends up in response headers — web origins in CSP ``frame-ancestors`` and
``Activate-Storage-Access``, redirect URIs in ``Location`` — so each value is held to a strict
syntax here, and anything else is refused with the rule it broke.
"""

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from .. import loopback
from ..extensions import db
from .models import Client, epoch
from .oidc.response_modes import origin_of
from .oidc.metadata import (
    GRANT_TYPES, PUBLIC_AUTH_METHOD, RESPONSE_TYPES, SCOPES, SECRET_AUTH_METHODS)

# Client identifiers this IdP issues (``secrets.token_urlsafe``) or seeds (``ngo-demo``):
# RFC 3986 unreserved characters, so one never needs quoting in a URL, header or message.
CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,48}")
# RFC 3986 §2 characters, less the quote (a registered URI is pasted into HTML and headers).
URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_AUTHORITY = re.compile(r"(?P<host>\[[0-9A-Za-z:.]+\]|[^:\[\]]+)(?::(?P<port>[^:]*))?")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
DEFAULT_PORTS = {"http": "80", "https": "443"}


class InvalidRegistration(ValueError):
    """A redirect URI or origin that cannot be registered; the message says why."""


def _host_problem(host):
    """Return why ``host`` is not a lower-case DNS name or IP literal, or ``None``."""
    if host != host.lower():
        return "its host must be lower-case, as browsers write it in an origin"
    if host.startswith("["):
        return None if _is_ip(ipaddress.IPv6Address, host[1:-1]) else \
            "its IPv6 literal is not valid"
    labels = host.split(".")
    if len(host) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return "its host must be a DNS name (letters, digits, '-' and dots) or an IP literal"
    if labels[-1].isdigit() and not _is_ip(ipaddress.IPv4Address, host):
        return "its IPv4 literal is not valid"
    return None


def _is_ip(kind, text):
    try:
        kind(text)
    except ValueError:
        return False
    return True


def _authority_problem(uri):
    """Return why ``uri`` is not ``http(s)://host[:port]…`` of our syntax, or ``None``."""
    if not URI_CHARACTERS.fullmatch(uri):
        return "it may contain only URI characters: no spaces, quotes or control characters"
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. a bracketed host that is no IPv6 address
        return "it is not a URI"
    if parts.scheme not in DEFAULT_PORTS or not uri.startswith(f"{parts.scheme}://"):
        return "it must start with http:// or https://"
    if "@" in parts.netloc:
        return "it must not carry a user name or password"
    authority = _AUTHORITY.fullmatch(parts.netloc)
    if authority is None:
        return "its host must be a DNS name or an IP literal, then an optional :port"
    if (port := authority["port"]) is not None:
        if not _PORT.fullmatch(port) or int(port) > 65535:
            return "its port must be a number from 1 to 65535"
        if port == DEFAULT_PORTS[parts.scheme]:
            return f"leave out the default port :{port}, as browsers do in an origin"
    if problem := _host_problem(authority["host"]):
        return problem
    if parts.scheme == "http" and not _is_loopback(authority["host"]):
        # RFC 9700 §2.1 / RFC 8252 §7.3: codes and tokens never cross a network in clear.
        return "plain http:// is allowed only for localhost, *.localhost and loopback addresses"
    return None


def _is_loopback(host):
    """True for ``localhost``, ``*.localhost`` and loopback IP literals."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return loopback.is_loopback_host(host)


def check_origin(origin):
    """Return ``origin`` if it is exactly ``scheme://host[:port]``, else raise."""
    problem = _authority_problem(origin)
    if problem is None and origin != origin_of(origin):
        problem = "it must have no path and no trailing slash"
    if problem:
        raise InvalidRegistration(f"Origin {origin!r} is not scheme://host[:port]: {problem}.")
    return origin


def check_uri(uri, what="Redirect URI"):
    """Return ``uri`` if it is an absolute http(s) URI without fragment; else raise."""
    problem = _authority_problem(uri)
    if problem is None and "#" in uri:
        problem = "it must not have a fragment"
    if problem:
        raise InvalidRegistration(f"{what} {uri!r} is not an absolute http(s) URI: {problem}.")
    return uri


def check_client_id(client_id):
    """Return ``client_id`` if it has the syntax of the identifiers this IdP issues."""
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidRegistration(f"Client id {client_id!r} may contain only letters, digits "
                                  "and '-', '.', '_', '~' (at most 48).")
    return client_id


def register(name, redirect_uris, web_origins, post_logout_redirect_uris=(),
             confidential=False, client_id=None):
    """Register a client and return ``(client, secret or None)``."""
    if not redirect_uris:
        raise InvalidRegistration("A client needs at least one redirect URI.")
    metadata = {
        "client_name": name,
        "redirect_uris": [check_uri(u) for u in redirect_uris],
        "web_origins": [check_origin(o) for o in web_origins],
        "post_logout_redirect_uris": [check_uri(u, "Post-logout redirect URI")
                                      for u in post_logout_redirect_uris],
        "grant_types": GRANT_TYPES,
        "response_types": RESPONSE_TYPES,
        "scope": " ".join(SCOPES),
        "token_endpoint_auth_method": (SECRET_AUTH_METHODS[0] if confidential
                                       else PUBLIC_AUTH_METHOD),
    }
    secret = secrets.token_urlsafe(32) if confidential else None
    client = Client(client_id=check_client_id(client_id or secrets.token_urlsafe(12)),
                    client_secret=Client.hash_secret(secret) if secret else "",
                    client_id_issued_at=epoch())
    client.set_client_metadata(metadata)
    db.session.add(client)
    db.session.commit()
    return client, secret


def all_clients():
    """Return every registered client, oldest first."""
    return db.session.scalars(db.select(Client).order_by(Client.id)).all()
