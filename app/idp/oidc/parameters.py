"""Request parameters, checked where they enter, before any protocol logic reads them.

- each parameter at most once (RFC 6749 §3.1; Authlib checks five of them);
- a parameter sent without a value is treated as omitted (RFC 6749 §3.1);
- each value a string of its parameter's syntax (RFC 6749 Appendix A, OIDC Core §3.1.2.1) and
  of bounded length, so that nothing downstream meets a value it cannot handle;
- HTTP Basic client credentials base64 of UTF-8 (RFC 6749 §2.3.1, RFC 7617 §2.1).

A value that breaks its rule is refused with an error naming the parameter. Messages
elsewhere echo a value only once it passed here: Authlib refuses ``"`` and ``\\`` in an
``error_description`` (RFC 6749 §5.2) by raising.
"""

import base64
import binascii
import re
from urllib.parse import unquote, urlsplit

from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError
from werkzeug.exceptions import RequestEntityTooLarge

from .. import clients
from . import max_age

# An ID token given back as id_token_hint is the longest value a client sends: ~1 KB.
MAX_LENGTH = 4096

_NAMES = re.compile(r"[A-Za-z0-9_.:-]+( [A-Za-z0-9_.:-]+)*")
_SCOPE_TOKEN = r"[\x21\x23-\x5b\x5d-\x7e]+"  # RFC 6749 §3.3
_SCOPE = re.compile(f"{_SCOPE_TOKEN}( {_SCOPE_TOKEN})*")
# Seconds, at most ten digits: Python's int() refuses strings of more than 4,300.

# parameter: (pattern its value must match, what that means, for the message)
SYNTAX = {
    "client_id": (clients.CLIENT_ID, "a registered client id (letters, digits, '-._~')"),
    "redirect_uri": (clients.URI_CHARACTERS, "a registered redirect URI"),
    "post_logout_redirect_uri": (clients.URI_CHARACTERS, "a registered URI"),
    "response_type": (_NAMES, "space-separated names such as 'code'"),
    "response_mode": (_NAMES, "a response mode such as 'query'"),
    "prompt": (_NAMES, "space-separated names such as 'login'"),
    "display": (_NAMES, "a name such as 'page'"),
    "code_challenge_method": (_NAMES, "a method such as 'S256'"),
    "grant_type": (_NAMES, "a grant type such as 'authorization_code'"),
    "token_type_hint": (_NAMES, "'access_token' or 'refresh_token'"),
    "scope": (_SCOPE, "space-separated scopes such as 'openid email'"),
    "max_age": (max_age.SECONDS, "a whole number of seconds (at most ten digits)"),
}

# What the authorization endpoint reads (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core
# §3.1.2.1, OAuth 2.0 Multiple Response Types §2.1); anything else is ignored (RFC 6749 §3.1).
AUTHORIZATION_PARAMETERS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "response_mode",
    "prompt", "max_age", "login_hint", "id_token_hint", "code_challenge",
    "code_challenge_method", "display", "ui_locales", "claims_locales", "acr_values")
# What RP-initiated logout reads (OpenID Connect RP-Initiated Logout 1.0 §2).
LOGOUT_PARAMETERS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state",
                     "logout_hint", "ui_locales")


def checked(values, names):
    """Return ``{name: value}`` for the parameters ``names`` sent in ``values``.

    ``values`` maps each name to its list of values (a Werkzeug ``MultiDict``, or Authlib's
    ``payload.datalist``). Raise ``InvalidRequestError`` naming the first parameter that is
    repeated, not a string, too long or not of its syntax.
    """
    found = {}
    for name in names:
        given = [v for v in _values(values, name) if v != ""]
        if not given:
            continue
        if len(given) > 1:
            raise InvalidRequestError(f"Repeated '{name}' parameter: send it once.")
        found[name] = check(name, given[0])
    return found


def check(name, value):
    """Return ``value`` if it is a valid value of parameter ``name``; else raise."""
    if isinstance(value, list):  # a request given as a dict carries a repeat as a list
        raise InvalidRequestError(f"Repeated '{name}' parameter: send it once.")
    if not isinstance(value, str):
        raise InvalidRequestError(f"Invalid '{name}': it must be a string.")
    if len(value) > MAX_LENGTH:
        raise InvalidRequestError(f"Invalid '{name}': it is longer than {MAX_LENGTH} "
                                  "characters.")
    pattern, meaning = SYNTAX.get(name, (None, None))
    if pattern is not None and not pattern.fullmatch(value):
        raise InvalidRequestError(f"Invalid '{name}': it must be {meaning}.")
    if not value.isprintable():
        raise InvalidRequestError(f"Invalid '{name}': it contains control characters.")
    if pattern is clients.URI_CHARACTERS and not _parses(value):
        raise InvalidRequestError(f"Invalid '{name}': it must be {meaning}.")
    return value


def _parses(uri):
    try:
        urlsplit(uri)
    except ValueError:  # e.g. "http://[::g]/": a bracketed host that is no IPv6 address
        return False
    return True


def _values(values, name):
    if hasattr(values, "getlist"):
        return values.getlist(name)
    given = values.get(name, [])
    return given if isinstance(given, list) else [given]


def basic_credentials(headers):
    """Return ``(client_id, client_secret)`` from an HTTP Basic ``Authorization`` header.

    ``(None, None)`` without Basic credentials; ``InvalidClientError`` naming the header if
    they are not base64 of UTF-8 ``client_id:client_secret`` (RFC 6749 §2.3.1).
    """
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClientError(status_code=401, description=(
            "Invalid 'Authorization' header: HTTP Basic credentials must be base64 of UTF-8 "
            "'client_id:client_secret' (RFC 6749 section 2.3.1).")) from None
    client_id, colon, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret) if colon else None


def client_id_of(request):
    """Return the client_id a token or revocation request names, or ``None`` if it names none.

    RFC 6749 §2.3.1: HTTP Basic credentials, else the ``client_id`` form field. Unreadable
    credentials or a body refused unread (``MAX_CONTENT_LENGTH``) name no client: the
    endpoint itself answers those, naming what is wrong.
    """
    try:
        basic_client_id, _ = basic_credentials(request.headers)
        return basic_client_id or request.form.get("client_id")
    except (InvalidClientError, RequestEntityTooLarge):
        return None
