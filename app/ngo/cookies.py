"""The NGO site's small first-party cookies, each signed with the app's secret key.

None of them costs a stored session row (app/sessions.py keeps a session on the server only
once someone signed in):

- ``ngo_nonce``: the nonce this browser's silent sign-ins carry. A page hands it to the SDK;
  ``/auth/credential`` accepts only a credential with it. Shared by the browser's tabs and
  renewed when half its lifetime is gone, so that a tab loaded a moment earlier still works.
- ``ngo_returning``: this browser signed in here before. It carries the last ID token, as
  ``id_token_hint`` for the top-level ``prompt=none`` round trip; signing out deletes it.
- ``ngo_prompt_none_tried``: that round trip was made in this browser session (the cookie
  ends with the browser), so that a failure never loops.
"""

import secrets
from datetime import datetime, timedelta, timezone

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

NONCE = "ngo_nonce"
RETURNING = "ngo_returning"
PROMPT_NONE_TRIED = "ngo_prompt_none_tried"
NONCE_LIFETIME = timedelta(minutes=10)
RETURNING_LIFETIME = timedelta(days=90)


def _serializer(name):
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"ngo-cookie:{name}")


def _read(name, max_age):
    """Return ``(value, age in seconds)`` of a valid cookie, or ``(None, None)``."""
    raw = request.cookies.get(name)
    if not raw:
        return None, None
    try:
        value, signed_at = _serializer(name).loads(
            raw, max_age=max_age.total_seconds(), return_timestamp=True)
    except BadSignature:
        return None, None
    return value, (datetime.now(timezone.utc) - signed_at).total_seconds()


def _set(name, value, max_age=None):
    """Set the cookie on this request's response (``max_age`` None: ends with the browser)."""
    signed = _serializer(name).dumps(value)

    @after_this_request
    def set_cookie(response):
        response.set_cookie(name, signed, max_age=max_age, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response


def _delete(name):
    @after_this_request
    def delete_cookie(response):
        response.delete_cookie(name, httponly=True, samesite="Lax",
                               secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response


def page_nonce():
    """Return the nonce for this page's silent sign-in, setting a fresh one when needed."""
    nonce, age = _read(NONCE, NONCE_LIFETIME)
    if nonce is None or age > NONCE_LIFETIME.total_seconds() / 2:
        nonce = secrets.token_urlsafe(24)
        _set(NONCE, nonce, max_age=NONCE_LIFETIME)
    return nonce


def take_nonce():
    """Return this browser's nonce, or ``None``, and forget it: a nonce signs in once."""
    nonce, _ = _read(NONCE, NONCE_LIFETIME)
    if nonce is not None:
        _delete(NONCE)
    return nonce


def remember_returning_supporter(id_token):
    """Mark this browser as one that signed in here, keeping ``id_token`` as a later hint."""
    _set(RETURNING, id_token, max_age=RETURNING_LIFETIME)


def returning_supporter_hint():
    """Return the ID token this browser last signed in with, if it signed in here before."""
    return _read(RETURNING, RETURNING_LIFETIME)[0]


def forget_returning_supporter():
    """Forget that this browser signed in here (sign-out)."""
    _delete(RETURNING)


def prompt_none_tried():
    """True if the top-level ``prompt=none`` round trip was made in this browser session."""
    return _read(PROMPT_NONE_TRIED, RETURNING_LIFETIME)[0] is not None


def mark_prompt_none_tried():
    """Remember, until the browser closes, that the round trip was made."""
    _set(PROMPT_NONE_TRIED, True)
