"""This browser's login state at the IdP: one opaque value, replaced on every sign-in and out.

OpenID Connect Session Management 1.0 §3.1 lets the OP's iframe compare, in script, the
browser's current login state with the one a site last saw. That needs one script-readable
cookie, ``lxl_bs``: an opaque random value with no secret in it. Accounts replace it; the
protocol (``oidc/session_state.py``) only reads it.
"""

import secrets

from flask import after_this_request, request

COOKIE = "lxl_bs"


def current():
    """Return the browser state this request carries ("" if none: the browser never signed in)."""
    return request.cookies.get(COOKIE, "")


def change(max_age=None):
    """Give this browser a new browser state (on sign-in and sign-out)."""
    value = secrets.token_urlsafe(16)

    @after_this_request
    def set_cookie(response):
        # Not HttpOnly by design (§3.1): the session iframe's script must read it.
        response.set_cookie(COOKIE, value, max_age=max_age, secure=True,
                            httponly=False, samesite="None", path="/oidc/")
        return response
