"""Refresh tokens (RFC 6749 §6), rotated on every use with reuse detection (RFC 9700 §4.14.2)."""

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from flask import current_app

from ... import logs
from ...extensions import db
from .. import accounts, tokens
from ..models import Token
from . import metadata


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 §6, issuing a new refresh token on every use (rotation, RFC 9700 §4.14.2).

    New tokens join the presented token's family (``token_family_of``), so a replayed
    refresh token revokes everything descended from the same authorization.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = metadata.CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        """Return the client's unrevoked token, if it is offline or its session is live."""
        token = db.session.scalar(db.select(Token).filter_by(
            refresh_token=refresh_token, client_id=self.request.client.client_id))
        if token is None or not token.is_refresh_token_valid():
            return None
        if token.offline or token.browser_session in accounts.live_sessions_of(token.user):
            return token
        return None

    def authenticate_user(self, refresh_token):
        """Return the user the refresh token was issued to."""
        return refresh_token.user

    def validate_token_request(self):
        """Validate the request, then claim the refresh token before anything is issued.

        RFC 9700 §4.14.2: a refresh token presented again after the grace window was used
        by two parties, one of them an attacker; its whole family is revoked.
        """
        super().validate_token_request()
        token = self.request.refresh_token
        grace = current_app.config["LXL_REFRESH_GRACE_SECONDS"]
        if not tokens.mark_refresh_token_used(token, grace):
            tokens.revoke_family(token.family)
            logs.event("refresh_reuse_detected", user=token.user, client_id=token.client_id)
            raise InvalidGrantError("This 'refresh_token' was already used; every token of "
                                    "its sign-in is now revoked. Sign the user in again.")

    def revoke_old_credential(self, refresh_token):
        """Log the rotation; leave the used token alone: ``validate_token_request`` marked it
        used already.

        It is not revoked, so that within the grace window a second tab can still
        exchange it, and its access token lives out its short lifetime.
        """
        logs.event("refresh_rotated", user=refresh_token.user, client_id=refresh_token.client_id)
