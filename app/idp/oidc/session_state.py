"""OpenID Connect Session Management 1.0: browser state and ``session_state``.

The OP's check-session iframe must compare, in script, the browser's current login state
with the one an RP last saw (§3.1, §4.2). That needs one script-readable cookie: ``lxl_bs``,
an opaque random value with no secret in it, replaced whenever someone signs in or out on
this browser. ``session_state`` binds it to one client and one origin with a salt.
"""

import hashlib
import secrets

from flask import after_this_request, request

BROWSER_STATE_COOKIE = "lxl_bs"


def browser_state():
    """Return the browser state this request carries ("" if none: the browser never signed in)."""
    return request.cookies.get(BROWSER_STATE_COOKIE, "")


def compute(client_id, origin, state, salt=None):
    """Return ``session_state`` = SHA-256(client_id, origin, browser state, salt) "." salt (§4.2)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{client_id} {origin} {state} {salt}".encode()).hexdigest()
    return f"{digest}.{salt}"


def for_request(client_id, origin):
    """Return the ``session_state`` of this browser for ``client_id`` at ``origin``."""
    return compute(client_id, origin, browser_state())


def change_browser_state(max_age=None):
    """Give this browser a new browser state (on sign-in and sign-out)."""
    value = secrets.token_urlsafe(16)

    @after_this_request
    def set_cookie(response):
        # Not HttpOnly by design (§3.1): the session iframe's script must read it.
        response.set_cookie(BROWSER_STATE_COOKIE, value, max_age=max_age, secure=True,
                            httponly=False, samesite="None", path="/oidc/")
        return response
