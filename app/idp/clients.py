"""Registering relying parties (the metadata of OIDC Dynamic Client Registration §2)."""

import secrets
from urllib.parse import urlsplit

from ..extensions import db
from .models import Client, epoch
from .oidc.metadata import (
    GRANT_TYPES, PUBLIC_AUTH_METHOD, RESPONSE_TYPES, SCOPES, SECRET_AUTH_METHODS)


class InvalidRegistration(ValueError):
    """A redirect URI or origin that cannot be registered; the message says why."""


def _check_uri(uri, what):
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise InvalidRegistration(f"{what} {uri!r} must be an absolute http(s) URI "
                                  "without a fragment.")
    return uri


def _check_origin(origin):
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or origin != \
            f"{parts.scheme}://{parts.netloc}":
        raise InvalidRegistration(f"Origin {origin!r} must be scheme://host[:port] with no "
                                  "path and no trailing slash.")
    return origin


def register(name, redirect_uris, web_origins, post_logout_redirect_uris=(),
             confidential=False, client_id=None):
    """Register a client and return ``(client, secret or None)``."""
    if not redirect_uris:
        raise InvalidRegistration("A client needs at least one redirect URI.")
    metadata = {
        "client_name": name,
        "redirect_uris": [_check_uri(u, "Redirect URI") for u in redirect_uris],
        "web_origins": [_check_origin(o) for o in web_origins],
        "post_logout_redirect_uris": [_check_uri(u, "Post-logout redirect URI")
                                      for u in post_logout_redirect_uris],
        "grant_types": GRANT_TYPES,
        "response_types": RESPONSE_TYPES,
        "scope": " ".join(SCOPES),
        "token_endpoint_auth_method": (SECRET_AUTH_METHODS[0] if confidential
                                       else PUBLIC_AUTH_METHOD),
    }
    secret = secrets.token_urlsafe(32) if confidential else None
    client = Client(client_id=client_id or secrets.token_urlsafe(12),
                    client_secret=Client.hash_secret(secret) if secret else "",
                    client_id_issued_at=epoch())
    client.set_client_metadata(metadata)
    db.session.add(client)
    db.session.commit()
    return client, secret


def all_clients():
    """Return every registered client, oldest first."""
    return db.session.scalars(db.select(Client).order_by(Client.id)).all()
