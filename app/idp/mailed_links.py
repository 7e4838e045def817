"""Links that LxL ID mails: signed, expiring, and good for one use.

A link's token is an itsdangerous signature (the app's secret key, one salt per purpose)
over a small payload and the time it was made. It carries no secret of its own and nothing
is stored for it: each payload names the state of the account it was made for (its address,
and a fingerprint of its password hash), and the token works only while the account is still
in that state. Using the link changes that state — a new password has a new hash, a verified
or changed address is no longer the one the link names — so a second use fails, and so does
any other link made before the change.
"""

import hashlib

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

# The longest token a form accepts: every real one is well under (a payload of a few ids).
MAX_TOKEN_LENGTH = 1000


class InvalidLink(Exception):
    """The link is not one we sent, was used, or expired; ``str()`` says which, in plain words."""


def password_fingerprint(user):
    """Return a short digest of ``user``'s password hash: changes whenever the password does."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make(purpose, payload):
    """Return a signed token for ``payload`` (a dict of strings and numbers)."""
    return _serializer(purpose).dumps(payload)


def read(purpose, token, max_age, expired_message, unknown_message):
    """Return the payload of a token made for ``purpose`` at most ``max_age`` seconds ago.

    Raise ``InvalidLink`` with ``expired_message`` for an expired token and
    ``unknown_message`` for one that is malformed, forged or made for another purpose.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidLink(unknown_message)
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidLink(expired_message) from None
    except BadData:
        raise InvalidLink(unknown_message) from None
    if not isinstance(payload, dict):
        raise InvalidLink(unknown_message)
    return payload


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"lxl.mailed-link.{purpose}")
