"""The NGO site's small first-party cookies, each signed with the app's secret key.

None of them costs a stored session row (app/sessions.py keeps a session on the server only
once someone signed in):

- ``__Host-ngo_nonce``: the nonce this browser's sign-ins carry. A page hands it to the SDK;
  ``/auth/credential`` accepts only a credential with it. Shared by the browser's tabs and
  renewed when half its lifetime is gone, so that a tab loaded a moment earlier still works.
  ``SameSite=None`` (see ``NONCE_SAME_SITE``) and ``__Host-`` (see ``NONCE``).
- ``ngo_return_to``: the page a redirect-mode sign-in started from, so that LxL ID's
  cross-site form post lands back there (``SameSite=None`` too, and only sent to
  ``/auth/credential``).
- ``ngo_returning``: this browser signed in here before. It carries the last ID token, as
  ``id_token_hint`` for the top-level ``prompt=none`` round trip; signing out deletes it.
- ``ngo_prompt_none_tried``: that round trip was made in this browser session (the cookie
  ends with the browser), so that a failure never loops.
"""

import secrets
from datetime import datetime, timedelta, timezone

from flask import after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..config import NGO_CREDENTIAL_PATH
from .credentials import CSRF_COOKIE

# The __Host- prefix (RFC 6265bis §4.1.3.2) makes browsers accept this cookie only Secure,
# with Path=/ and no Domain: a sibling subdomain (say, a hosted blog at blog.<parent>) can
# set cookies for the parent domain, and could otherwise plant a nonce of its own, copied
# from its own visit, next to a g_csrf_token of its own: the double-submit would then pass
# with the attacker's token (login CSRF by cookie tossing). A host-only cookie it cannot set.
NONCE = "__Host-ngo_nonce"
RETURN_TO = "ngo_return_to"
RETURNING = "ngo_returning"
PROMPT_NONE_TRIED = "ngo_prompt_none_tried"
NONCE_LIFETIME = timedelta(minutes=10)
RETURNING_LIFETIME = timedelta(days=90)
# In redirect mode (ux_mode 'redirect') LxL ID answers with its form_post: a cross-site POST
# to /auth/credential, which carries no Lax or Strict cookie at all. The nonce must come back
# on it, so its cookie is SameSite=None (and so Secure, which browsers require of None). That
# gives an attacker nothing: the cookie is HttpOnly and signed, signs in once, lives ten
# minutes, and proves nothing alone: a credential must carry the same nonce, and the post
# must carry the state this browser's g_csrf_token cookie holds (credentials.py). The
# g_csrf_token cookie alone can be planted by a sibling subdomain; this one cannot (NONCE).
NONCE_SAME_SITE = "None"
# Where /auth/credential sends a redirect-mode sign-in back to: the page it started on. It
# comes back on the same cross-site POST, so SameSite=None too; only its own path gets it.
RETURN_TO_PATH = NGO_CREDENTIAL_PATH


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


def _attributes(same_site, path):
    """Return the attributes of a cookie; ``SameSite=None`` is only ever sent ``Secure``."""
    secure = same_site == "None" or current_app.config["SESSION_COOKIE_SECURE"]
    return {"httponly": True, "samesite": same_site, "secure": secure, "path": path}


def _set(name, value, max_age=None, same_site="Lax", path="/"):
    """Set the cookie on this request's response (``max_age`` None: ends with the browser)."""
    signed = _serializer(name).dumps(value)

    @after_this_request
    def set_cookie(response):
        response.set_cookie(name, signed, max_age=max_age, **_attributes(same_site, path))
        return response


def _delete(name, same_site="Lax", path="/"):
    @after_this_request
    def delete_cookie(response):
        response.delete_cookie(name, **_attributes(same_site, path))
        return response


def page_nonce():
    """Return the nonce for this page's silent sign-in, setting a fresh one when needed."""
    nonce, age = _read(NONCE, NONCE_LIFETIME)
    # A refused sign-in took the request's nonce (take_nonce) and renders a page that signs in
    # again: that page needs a nonce its browser still has. The cookie set here follows the
    # deletion in the response, so browsers keep the fresh one.
    if nonce is None or g.get("ngo_nonce_taken") or age > NONCE_LIFETIME.total_seconds() / 2:
        nonce = secrets.token_urlsafe(24)
        _set(NONCE, nonce, max_age=NONCE_LIFETIME, same_site=NONCE_SAME_SITE)
    return nonce


def take_nonce():
    """Return this browser's nonce, or ``None``, and forget it: a nonce signs in once."""
    nonce, _ = _read(NONCE, NONCE_LIFETIME)
    if nonce is not None:
        _delete(NONCE, same_site=NONCE_SAME_SITE)
        g.ngo_nonce_taken = True  # for page_nonce
    return nonce


def forget_form_post_state():
    """Delete the SDK's ``g_csrf_token`` cookie of a redirect-mode sign-in: LxL ID answered
    its state, so the state is spent whatever the answer (the SDK set it ``SameSite=None``,
    ``Secure``, ``Path=/``; a deletion must name the same path)."""
    @after_this_request
    def delete_cookie(response):
        response.delete_cookie(CSRF_COOKIE, path="/", secure=True, samesite="None")
        return response


def remember_form_post_return_to(path):
    """Remember ``path`` (this page's) as where a redirect-mode sign-in comes back to."""
    _set(RETURN_TO, path, max_age=NONCE_LIFETIME, same_site="None", path=RETURN_TO_PATH)


def take_form_post_return_to():
    """Return (once) the path a redirect-mode sign-in started from, or ``None``."""
    path, _ = _read(RETURN_TO, NONCE_LIFETIME)
    if path is not None:
        _delete(RETURN_TO, same_site="None", path=RETURN_TO_PATH)
    return path


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
