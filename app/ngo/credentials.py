"""Verify a credential (an ID token from the SDK) before signing anyone in with it.

OIDC Core §3.2.2.11 (ID token validation, implicit flow), done by Authlib's client with
joserfc: the signature against the IdP's JWKS (found through discovery), ``iss`` = the
issuer, ``aud`` = this site's client_id, ``exp`` and ``iat`` with a small leeway, and the
``nonce`` this browser was given. Before that, the double-submit CSRF check of Google
Identity Services: the ``g_csrf_token`` field must equal the ``g_csrf_token`` cookie.

Every refusal is a ``Rejected`` with a code of its own, a message that says what to do and
an HTTP status: nothing a browser can send makes this module fail in any other way.
"""

import hmac

import requests
from joserfc.errors import (
    BadSignatureError, ExpiredTokenError, InvalidClaimError, InvalidKeyIdError, JoseError,
    MissingClaimError)

from .oidc_client import idp

CSRF_FIELD = CSRF_COOKIE = "g_csrf_token"
CREDENTIAL_FIELD = "credential"
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


def check_double_submit(form, cookies):
    """Refuse the request unless its ``g_csrf_token`` field equals its cookie."""
    field, cookie = form.get(CSRF_FIELD), cookies.get(CSRF_COOKIE)
    if not field or not cookie:
        missing = " and ".join(name for name, value in (("field", field), ("cookie", cookie))
                               if not value)
        raise Rejected("csrf_token_missing", f"No 'g_csrf_token' {missing}: send the same "
                       "random value as the form field and the cookie 'g_csrf_token'.", 403)
    # Bytes: compare_digest refuses str with anything but ASCII in it.
    if not hmac.compare_digest(field.encode(), cookie.encode()):
        raise Rejected("csrf_token_mismatch", "The 'g_csrf_token' field differs from the "
                       "'g_csrf_token' cookie: send the same value in both.", 403)


def verify(credential, nonce):
    """Return the claims of ``credential`` if it is a valid ID token for this site and page."""
    if not credential:
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

