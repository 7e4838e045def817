"""Refresh tokens (RFC 6749 §6), rotated on every use."""

import time

from authlib.oauth2.rfc6749 import grants

from ...extensions import db
from ..models import Token


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 §6, issuing a new refresh token on every use (rotation, RFC 9700 §4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        token = db.session.scalar(db.select(Token).filter_by(refresh_token=refresh_token))
        if token is not None and token.is_refresh_token_valid():
            return token
        return None

    def authenticate_user(self, refresh_token):
        return refresh_token.user

    def revoke_old_credential(self, refresh_token):
        now = int(time.time())
        refresh_token.refresh_token_revoked_at = now
        refresh_token.refresh_token_used_at = now
        db.session.commit()
