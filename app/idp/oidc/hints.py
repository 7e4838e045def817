"""``id_token_hint`` (OIDC Core §3.1.2.1; RP-Initiated Logout §2): an ID token we issued.

A hint names a user; it does not authenticate one. So its signature and issuer are checked,
not its expiry — hints are usually expired tokens.
"""

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from joserfc import jwt
from joserfc.errors import JoseError

from .. import keys
from . import metadata


class _HintClaims(jwt.JWTClaimsRegistry):
    def validate_exp(self, value):
        """Accept an expired hint (see the module docstring)."""


def verify(id_token):
    """Return the claims of an ID token this IdP signed; raise ``InvalidRequestError`` if not."""
    try:
        token = jwt.decode(id_token, keys.public_key_set(), algorithms=[keys.ALGORITHM])
        _HintClaims(iss={"essential": True, "value": metadata.issuer()},
                    sub={"essential": True}).validate(token.claims)
    except (JoseError, ValueError) as error:
        detail = str(error) or "its signature does not verify with our keys"
        raise InvalidRequestError(f"Invalid 'id_token_hint': {detail}. Send an ID token "
                                  "LxL ID issued to your site.") from None
    return token.claims


def audiences(claims):
    """Return the hint's ``aud`` as a list (it may be one string, OIDC Core §2)."""
    audience = claims.get("aud")
    return audience if isinstance(audience, list) else [audience]


def subject_for(id_token, client_id):
    """Return the ``sub`` of a hint issued to ``client_id``."""
    claims = verify(id_token)
    if client_id not in audiences(claims):
        raise InvalidRequestError("Invalid 'id_token_hint': it was issued to another client.")
    return claims["sub"]
