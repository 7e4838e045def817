"""What a refresh token may outlive, and when it stops working.

- rotation with reuse detection (RFC 9700 §4.14.2): a refresh token is marked used, once and
  atomically, before anything is issued for it; presenting it again after a short grace
  window means it leaked, and so does presenting a used authorization code (RFC 6749 §4.1.2):
  either revokes the token family, which every token is checked against at every use;
- ``offline_access`` (OIDC Core §11): only a confidential client's refresh token may outlive
  the IdP browser session; every other one is bound to its session and revoked with it;
- revocation (RFC 6749 §10.4) when sessions end or the password changes.
"""

import secrets

from authlib.oauth2.rfc6749.util import scope_to_list
from sqlalchemy import bindparam

from .. import database
from ..extensions import db
from .models import AuthorizationCode, Token, TokenFamily, epoch


# Random bytes in each code, access token and refresh token: 288 bits, no fewer than Authlib's
# default of 48 characters drawn from 62 (286 bits).
TOKEN_BYTES = 36


def new_token(*_args, **_context):
    """Return a new authorization code, access token or refresh token (URL-safe base64).

    Authlib's default draws each character by itself from ``SystemRandom`` (about 90 µs for
    a token response); this draws all the bytes at once from the same source, the operating
    system's. Characters of RFC 6750 §2.1's ``b64token``. Takes and ignores Authlib's
    generator arguments (client, grant type, user, scope).
    """
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_offline(client, scope):
    """True if tokens for ``scope`` outlive the browser session (OIDC Core §11).

    A public client's refresh token lives in a browser, where a thief would find it as
    easily as the client does; it stays bound to the session even if it asked for
    ``offline_access``.
    """
    return not client.is_public and "offline_access" in scope_to_list(scope or "")


def mark_refresh_token_used(token, grace_seconds):
    """Mark ``token``'s refresh token used; True if this request may rotate it.

    RFC 9700 §4.14.2. The conditional ``UPDATE`` lets exactly one request — in any app
    instance — make the first use. A later request is allowed within ``grace_seconds`` of it
    (two tabs refreshing at once); after that the token is being replayed.
    """
    now = epoch()
    first_use = db.session.execute(
        db.update(Token)
        .where(Token.id == token.id, Token.refresh_token_used_at.is_(None))
        .values(refresh_token_used_at=now)
    ).rowcount == 1
    db.session.commit()
    if first_use:
        return True
    used_at = db.session.scalar(db.select(Token.refresh_token_used_at).where(Token.id == token.id))
    return now < used_at + grace_seconds


# Built once: every token request runs it. Nothing reads the code's used_at afterwards, so
# it is a Core UPDATE of the table, with no ORM session to bring up to date.
_CODES = AuthorizationCode.__table__
_MARK_CODE_USED = db.update(_CODES).where(
    _CODES.c.id == bindparam("code_id"), _CODES.c.used_at.is_(None)
).values(used_at=bindparam("now"))


def mark_code_used(code):
    """Mark an authorization code used; True if this request is the first to redeem it.

    RFC 6749 §4.1.2: a code is used once. The conditional ``UPDATE`` lets exactly one of
    two requests racing with the same code — in any app instance — issue tokens for it: the
    other's ``UPDATE`` waits for the first one's transaction, then matches no row. The caller
    commits, together with the tokens the code buys (one short write transaction).
    """
    return database.execute(_MARK_CODE_USED, {"code_id": code.id, "now": epoch()}).rowcount == 1


def revoke_session_bound(browser_session_ids):
    """Revoke the tokens bound to these browser sessions; offline tokens live on."""
    if browser_session_ids:
        _revoke(Token.browser_session_id.in_(browser_session_ids), Token.offline.is_(False))


def revoke_family(family):
    """Revoke every token descended from one authorization, and any issued later from it.

    RFC 6749 §4.1.2, §10.4. A request that passed its checks before this commits may still
    save a token of the family afterwards; ``Token.is_revoked`` refuses it all the same.
    """
    db.session.execute(db.update(TokenFamily)
                       .where(TokenFamily.id == family, TokenFamily.revoked_at.is_(None))
                       .values(revoked_at=epoch()))
    db.session.commit()


def revoke_all_of(user):
    """Revoke every token of ``user``, offline ones included, and every family they and the
    user's codes belong to (a password change, a reset, leaving).

    Revoking the families too means a refresh or code exchange already past its checks
    cannot save a token that works: ``Token.is_revoked`` reads the family at every use.
    """
    families = db.select(Token.family).where(Token.user_id == user.id).union(
        db.select(AuthorizationCode.family).where(AuthorizationCode.user_id == user.id))
    db.session.execute(db.update(TokenFamily).where(
        TokenFamily.revoked_at.is_(None), TokenFamily.id.in_(families)
    ).values(revoked_at=epoch()))
    _revoke(Token.user_id == user.id)


def _revoke(*conditions):
    now = epoch()
    db.session.execute(db.update(Token).where(Token.refresh_token_revoked_at == 0, *conditions)
                       .values(access_token_revoked_at=now, refresh_token_revoked_at=now))
    db.session.commit()
