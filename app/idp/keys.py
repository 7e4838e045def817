"""ID-token signing keys: one current RS256 key, retired keys published for a while.

Keys live in the database so every app instance signs with, and publishes, the same ones
(RFC 7517 JWK Set at ``/oidc/jwks``). ``rotate`` makes a new key current; the old one stays
in the JWK Set for ``LXL_KEY_RETENTION`` so tokens it signed still verify — the same idea as
Flask's ``SECRET_KEY_FALLBACKS``.
"""

import functools
import json

from flask import current_app
from joserfc.jwk import KeySet, RSAKey

from .. import logs
from ..extensions import db
from . import caches
from .models import SigningKey, epoch

ALGORITHM = "RS256"


@functools.lru_cache(maxsize=32)
def _imported(kid, private_jwk):
    # Importing an RSA private key validates it (~30 ms); a key never changes under its kid.
    return RSAKey.import_key(json.loads(private_jwk))


def _new_key():
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": ALGORITHM}, private=True)
    key.ensure_kid()  # RFC 7638 thumbprint
    row = SigningKey(kid=key.kid, private_jwk=json.dumps(key.as_dict(private=True)))
    db.session.add(row)
    return row


def current_key():
    """Return the current signing key as a joserfc key, creating the first one if none.

    From the process's cache (caches.py): after ``rotate`` elsewhere, a process may sign
    with the retired key for ``LXL_CACHE_SECONDS`` more, which the JWK Set still publishes.
    """
    return caches.cache_of(SigningKey).get("current", _load_current_key)


def _load_current_key():
    row = db.session.scalar(
        db.select(SigningKey).filter_by(retired_at=None).order_by(SigningKey.id.desc()).limit(1)
    )
    if row is None:
        row = _new_key()
        db.session.commit()
    return _imported(row.kid, row.private_jwk)


def rotate():
    """Retire the current key(s), make a new one current and return its ``kid``."""
    now = epoch()
    for row in db.session.scalars(db.select(SigningKey).filter_by(retired_at=None)):
        row.retired_at = now
    row = _new_key()
    db.session.commit()
    logs.event("key_rotated", kid=row.kid)
    return row.kid


def _published_rows():
    cutoff = epoch() - current_app.config["LXL_KEY_RETENTION"].total_seconds()
    return db.session.scalars(db.select(SigningKey).where(
        (SigningKey.retired_at.is_(None)) | (SigningKey.retired_at > cutoff)
    ).order_by(SigningKey.id.desc())).all()


def public_key_set():
    """Return the JWK Set of every key whose signatures must still verify.

    Read from the database at every request, never cached: every instance publishes a new
    key as soon as any instance may sign with it.
    """
    current_key()  # a fresh installation publishes its first key before signing with it
    keys = [_imported(row.kid, row.private_jwk) for row in _published_rows()]
    return KeySet(keys)


def jwks():
    """Return the public JWK Set document (RFC 7517 §5)."""
    return public_key_set().as_dict(private=False)

