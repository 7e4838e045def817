"""The NGO site's own session: who is signed in, and the tokens kept for them.

Signing in starts a new server-side session under a new session id, whichever way the
supporter signed in (the SDK's credential or the code flow): a session id planted in the
browser beforehand never becomes the signed-in session (session fixation). Tokens from the
code flow stay on the server; the refresh token is used before the access token expires,
and LxL ID refusing it (the supporter signed out there, or the token family was revoked)
signs the supporter out of the site as well.
"""

import logging
import time

import requests
from authlib.integrations.base_client import OAuthError
from flask import current_app, session

from .. import logs, sessions
from ..sites import is_local_path
from . import cookies, supporters
from .oidc_client import idp

log = logging.getLogger(__name__)

USER = "user"
ID_TOKEN = "id_token"
TOKENS = "tokens"
JUST_SIGNED_OUT = "just_signed_out"
RETURN_TO = "return_to"
# Paths of the sign-in machinery itself: coming back to one of them would restart or replay it.
NOT_A_RETURN_PATH = ("/auth/", "/login", "/logout")
# Refresh this long before the access token expires, so that no request finds it expired.
REFRESH_MARGIN = 300


def current_supporter():
    """Return ``{sub, name, email}`` of the supporter signed in here, or ``None``."""
    return session.get(USER)


def sign_in(claims, id_token, tokens=None):
    """Start a new site session, under a new session id, for the supporter ``claims`` name;
    return the supporter (as ``current_supporter`` will)."""
    current_app.session_interface.regenerate(session)
    session.clear()
    supporter = session[USER] = {"sub": claims["sub"], "name": claims.get("name"),
                                 "email": claims.get("email")}
    session[ID_TOKEN] = id_token
    if tokens and tokens.get("refresh_token"):
        session[TOKENS] = _kept(tokens)
    sessions.keep_on_server()
    supporters.welcome(claims["sub"])
    cookies.remember_returning_supporter(id_token)
    log.info("Signed in a supporter")  # not their sub: it would name them in the log
    return supporter


def sign_out():
    """End the site session; the next page tells the SDK to stop signing in silently."""
    id_token = session.get(ID_TOKEN)
    session.clear()
    session[JUST_SIGNED_OUT] = True
    cookies.forget_returning_supporter()
    return id_token


def take_just_signed_out():
    """True (once) on the first page after signing out."""
    return session.pop(JUST_SIGNED_OUT, False)


def keep_tokens_fresh():
    """Refresh the supporter's tokens when due; sign them out if LxL ID refuses."""
    tokens = session.get(TOKENS)
    if tokens is None or time.time() < tokens["expires_at"] - REFRESH_MARGIN:
        return
    try:
        fresh = idp().fetch_access_token(grant_type="refresh_token",
                                         refresh_token=tokens["refresh_token"])
    except OAuthError as error:
        log.info("LxL ID refused the refresh token (%s): signing the supporter out here too",
                 logs.error_code(error.error))
        sign_out()
        return
    except requests.RequestException as error:
        log.warning("Could not refresh a supporter's tokens (%s); trying on the next request",
                    type(error).__name__)
        return
    session[TOKENS] = _kept(fresh)
    session[ID_TOKEN] = fresh.get("id_token") or session[ID_TOKEN]


def _kept(tokens):
    """Return what the site keeps of a token response: never more than it uses."""
    return {"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
            "expires_at": tokens["expires_at"]}


def return_path(path):
    """Return ``path`` if a round trip to LxL ID may come back to it, else the home page."""
    local = is_local_path(path) and not path.startswith(NOT_A_RETURN_PATH)
    return path if local else "/"


def remember_return_to(path):
    """Remember where to come back to after a round trip to LxL ID (a path of this site)."""
    session[RETURN_TO] = return_path(path)


def take_return_to():
    """Return (once) where to come back to; the home page if nothing was remembered."""
    return session.pop(RETURN_TO, "/")
