"""Delete what can never be used again: ``flask --app wsgi lxl purge``, safe to run any time.

What goes, in this order (foreign keys point from tokens and codes to browser sessions):

1. the tokens of whole token *families* none of whose tokens can still be used — the family
   revoked, or every access token expired or revoked and every refresh token revoked or
   bound to a browser session that is over. A family's tokens go together: a single revoked
   token is evidence that keeps its family refused (RFC 9700 §4.14.2);
2. authorization codes past their lifetime that were never used, or whose family has no
   tokens left (a used code is kept while its tokens live, so that a replay can still revoke
   them); then the families that no code and no token refers to any more;
3. browser sessions that were ended, or expired more than ``EXPIRED_NOTICE_SECONDS`` ago
   (until then the status frame says ``session_expired``), and that no remaining token or
   code refers to;
4. the One-Tap card's cooldowns whose quiet ended more than ``FORGET_AFTER_SECONDS`` (90
   days) ago: the next closing of that card counts as the first again, purged or not
   (``prompt_cooldowns.py``);
5. expired rows of the server-side sessions table (Redis expires its keys itself).

Run it from cron or a systemd timer, for example hourly, on every instance (README.md,
"Production"); each run only deletes rows that were already dead, so running it twice is
harmless. On PostgreSQL only one run works at a time: it holds an advisory lock
(``PURGE_LOCK``), and a run that finds it taken does nothing and says so (``AnotherPurgeRuns``),
so instances started by the same timer do not all scan the same tables at once. Each kind
is deleted by one statement and committed at once, so no lock on a deleted row outlives its
statement (and those rows are dead: no request waits for them).
"""

from contextlib import contextmanager

from flask import current_app
from sqlalchemy import and_, delete, exists, func, not_, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from . import prompt_cooldowns
from .accounts import EXPIRED_NOTICE_SECONDS
from .models import (
    CODE_LIFETIME_SECONDS, AuthorizationCode, BrowserSession, PromptCooldown, Token,
    TokenFamily, epoch)

# The key of the purge's PostgreSQL advisory lock: "LxLPurge" in ASCII, a 64-bit number no
# other advisory lock of this database uses.
PURGE_LOCK = int.from_bytes(b"LxLPurge", "big", signed=True)


class AnotherPurgeRuns(Exception):
    """Another purge holds the lock on this database: this one did nothing."""

    def __init__(self):
        super().__init__("Another purge is running on this database (PostgreSQL advisory lock "
                         f"{PURGE_LOCK}); this one did nothing.")


@contextmanager
def _the_only_purge():
    """Hold the purge's advisory lock on PostgreSQL while the block runs, or raise
    ``AnotherPurgeRuns`` at once. SQLite has one writer at a time anyway."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    # A connection of its own: the lock belongs to the database session, not to the
    # transactions the purge commits, and is released here or when the connection dies.
    # In autocommit, so that it holds no transaction open meanwhile: "idle in transaction"
    # for the whole purge would hold back VACUUM on every table and trip any
    # idle_in_transaction_session_timeout, which would end the session and drop the lock.
    with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        if not connection.scalar(select(func.pg_try_advisory_lock(PURGE_LOCK))):
            raise AnotherPurgeRuns()
        try:
            yield
        finally:
            connection.scalar(select(func.pg_advisory_unlock(PURGE_LOCK)))


def _usable_families(now):
    """SQL: the families with a token whose access or refresh token may still be accepted."""
    token = aliased(Token)
    session_live = exists(select(BrowserSession.id).where(
        BrowserSession.id == token.browser_session_id, BrowserSession.ended_at.is_(None),
        BrowserSession.expires_at > now))
    access = and_(token.access_token_revoked_at == 0, token.issued_at + token.expires_in >= now)
    refresh = and_(token.refresh_token.is_not(None), token.refresh_token != "",
                   token.refresh_token_revoked_at == 0, or_(token.offline.is_(True), session_live))
    family_live = exists(select(TokenFamily.id).where(
        TokenFamily.id == token.family, TokenFamily.revoked_at.is_(None)))
    return select(token.family).where(family_live, or_(access, refresh))


def purge_expired():
    """Delete the dead rows of each kind in the module's list, in its order; count them.

    Raise ``AnotherPurgeRuns`` if another purge runs on this PostgreSQL database.
    """
    with _the_only_purge():
        return _purge(epoch(), db.session)


def _purge(now, session):
    def deleted(statement):
        count = session.execute(statement).rowcount
        session.commit()
        return count

    purged = {"tokens": deleted(delete(Token).where(Token.family.not_in(_usable_families(now))))}

    kept_families = select(aliased(Token).family)
    purged["authorization_codes"] = deleted(delete(AuthorizationCode).where(
        AuthorizationCode.created_at + CODE_LIFETIME_SECONDS < now,
        or_(AuthorizationCode.used_at.is_(None),
            AuthorizationCode.family.not_in(kept_families))))
    purged["token_families"] = deleted(delete(TokenFamily).where(
        not_(exists(select(Token.id).where(Token.family == TokenFamily.id))),
        not_(exists(select(AuthorizationCode.id).where(
            AuthorizationCode.family == TokenFamily.id)))))

    referenced = or_(
        exists(select(Token.id).where(Token.browser_session_id == BrowserSession.id)),
        exists(select(AuthorizationCode.id).where(
            AuthorizationCode.browser_session_id == BrowserSession.id)))
    purged["browser_sessions"] = deleted(delete(BrowserSession).where(
        or_(BrowserSession.ended_at.is_not(None),
            BrowserSession.expires_at + EXPIRED_NOTICE_SECONDS < now),
        not_(referenced)))
    purged["prompt_cooldowns"] = deleted(delete(PromptCooldown).where(
        prompt_cooldowns.forgotten(now)))

    purged["sessions"] = current_app.session_interface.purge_expired()
    return purged
