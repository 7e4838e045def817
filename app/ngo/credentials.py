"""Verify a credential (an ID token from LxL ID) before signing anyone in with it.

It arrives in one of two shapes (``shape_of``):
- the SDK's: fields ``credential`` and ``g_csrf_token``, posted by the page's callback or by
  the SDK's form (``login_uri``);
- the standard form_post (OAuth 2.0 Form Post Response Mode §2): fields ``id_token`` and
  ``state``, or ``error`` and ``state``, posted by LxL ID's own page when the SDK's button
  runs in redirect mode. That is a cross-site POST.

First the double-submit CSRF check of Google Identity Services: the ``g_csrf_token`` field,
or the ``state`` field, must equal the ``g_csrf_token`` cookie, which the page set (in
redirect mode, ``SameSite=None`` so that it comes back on the cross-site POST). Another
site cannot read it, but a sibling subdomain can set it (cookie tossing): what such a site
cannot set is the nonce's ``__Host-`` cookie, which the token must match. Then OIDC Core §3.2.2.11 (ID token validation, implicit flow),
done by Authlib's client with joserfc: the signature against the IdP's JWKS (found through
discovery), ``iss`` = the issuer, ``aud`` = this site's client_id, ``exp`` and ``iat`` with a
small leeway, and the ``nonce`` this browser was given (its cookie, cookies.py).

Every refusal is a ``Rejected`` with a code of its own, a message that says what to do and
an HTTP status: nothing a browser can send makes this module fail in any other way.
"""

import hmac
from typing import NamedTuple

import requests
from joserfc.errors import (
    BadSignatureError, ExpiredTokenError, InvalidClaimError, InvalidKeyIdError, JoseError,
    MissingClaimError)

from .. import logs
from .oidc_client import idp

CSRF_COOKIE = "g_csrf_token"


class Shape(NamedTuple):
    """Where a posted sign-in keeps its ID token and its CSRF token."""

    credential_field: str
    csrf_field: str


SDK_SHAPE = Shape("credential", CSRF_COOKIE)
FORM_POST_SHAPE = Shape("id_token", "state")
# Clock skew allowed between the IdP and this server, in seconds (OIDC Core §3.1.3.7).
LEEWAY = 60

_CLAIM_REFUSALS = {
    "iss": ("wrong_issuer", "The credential was issued by another identity provider, not "
                            "the one this site trusts."),
    "aud": ("wrong_audience", "The credential was issued to another site, not to this one."),
    "azp": ("wrong_audience", "The credential was issued to another site, not to this one."),
    "nonce": ("wrong_nonce", "The credential was issued for another page load (its nonce "
                             "differs): reload the page and sign in again."),
    "iat": ("not_yet_valid", "The credential says it was issued in the future: check the "
                             "clocks of this server and of the identity provider."),
}


class Rejected(Exception):
    """A credential refused: ``code`` for programs, ``message`` for people, HTTP ``status``."""

    def __init__(self, code, message, status=400):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def shape_of(form):
    """Return the shape of a posted sign-in: only LxL ID's form_post carries ``state``."""
    return FORM_POST_SHAPE if FORM_POST_SHAPE.csrf_field in form \
        or FORM_POST_SHAPE.credential_field in form else SDK_SHAPE


def check_double_submit(form, cookies, shape):
    """Refuse the request unless its CSRF field (per ``shape``) equals the cookie."""
    field, cookie = form.get(shape.csrf_field), cookies.get(CSRF_COOKIE)
    if shape == FORM_POST_SHAPE:
        _check_state(field, cookie)
        return
    if not field or not cookie:
        missing = " and ".join(name for name, value in (("field", field), ("cookie", cookie))
                               if not value)
        raise Rejected("csrf_token_missing", f"No 'g_csrf_token' {missing}: send the same "
                       "random value as the form field and the cookie 'g_csrf_token'.", 403)
    if not _equal(field, cookie):
        raise Rejected("csrf_token_mismatch", "The 'g_csrf_token' field differs from the "
                       "'g_csrf_token' cookie: send the same value in both.", 403)


def _check_state(state, cookie):
    """The form_post's ``state`` must be the one this browser's page sent (its cookie)."""
    if not state:
        raise Rejected("state_missing", "LxL ID's answer has no 'state' field, so it cannot "
                       "be matched to a sign-in started on this site: sign in again.", 403)
    if not cookie:
        raise Rejected("state_cookie_missing", "This browser has no 'g_csrf_token' cookie to "
                       "check the answer's 'state' against (it lasts ten minutes, and only "
                       "the sign-in button sets it): sign in again from the button.", 403)
    if not _equal(state, cookie):
        raise Rejected("state_mismatch", "The answer's 'state' differs from this browser's "
                       "'g_csrf_token' cookie: it answers a sign-in this browser did not "
                       "start (or a newer one started since). Sign in again.", 403)


def _equal(field, cookie):
    # Bytes: compare_digest refuses str with anything but ASCII in it.
    return hmac.compare_digest(field.encode(), cookie.encode())


def check_no_error(form):
    """Refuse a form_post that carries LxL ID's error instead of an ID token."""
    error = form.get("error")
    if error is None:
        return
    if error == "access_denied":
        raise Rejected("access_denied", "You chose not to sign in with LxL ID: nothing was "
                       "shared with Sample NGO, and you are not signed in.", 403)
    shown = error if logs.OAUTH_ERROR_CODE.fullmatch(error) else "an error this site does not know"
    raise Rejected("idp_error", f"LxL ID did not sign you in ({shown}): try again.", 400)


def verify(credential, nonce, shape=SDK_SHAPE):
    """Return the claims of ``credential`` if it is a valid ID token for this site and page."""
    if not credential:
        if shape == FORM_POST_SHAPE:
            raise Rejected("credential_missing", "LxL ID's answer has no 'id_token' field: "
                           "sign in again.")
        raise Rejected("credential_missing", "No 'credential' field: post the ID token the "
                       "SDK's callback received.")
    if not nonce:
        raise Rejected("nonce_missing", "This browser has no sign-in nonce (its cookie "
                       "expired or was never set): reload the page and sign in again.")
    try:
        return idp().parse_id_token({"id_token": credential}, nonce=nonce, leeway=LEEWAY)
    except requests.RequestException as error:
        raise Rejected("idp_unreachable", "Could not fetch the identity provider's keys "
                       f"({type(error).__name__}): try again in a moment.", 503) from None
    except InvalidKeyIdError:
        raise Rejected("unknown_key", "The credential is signed with a key the identity "
                       "provider does not publish (unknown 'kid').", 401) from None
    except BadSignatureError:
        raise Rejected("bad_signature", "The credential's signature does not verify with the "
                       "identity provider's keys.", 401) from None
    except ExpiredTokenError:
        raise Rejected("expired", "The credential has expired: reload the page to get a "
                       "fresh one.", 401) from None
    except InvalidClaimError as error:
        code, message = _CLAIM_REFUSALS.get(error.claim, (
            "invalid_claim", f"The credential's claim {error.claim!r} is not valid."))
        raise Rejected(code, message, 401) from None
    except MissingClaimError as error:
        raise Rejected("missing_claim", f"The credential has no {error.claim!r} claim, "
                       "which an ID token must have.", 401) from None
    except (JoseError, ValueError, TypeError):
        raise Rejected("malformed", "The credential is not a signed ID token (JWS compact "
                       "serialization): post the 'credential' the SDK gave you.") from None

