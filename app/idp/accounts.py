"""Accounts and IdP browser sessions: passwords, signing in and out, and session lookup.

A browser holds a random *browser key* in two cookies: the server-side Flask session
(``SameSite=Lax``), which every state-changing endpoint reads, and ``lxl_silent``
(``SameSite=None``), which only the silent endpoints honour — a cross-site frame never
carries a Lax cookie. The database keeps only the key's SHA-256 in a ``BrowserSession`` row.
"""

import hashlib
import secrets
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import after_this_request, current_app, request, session
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from .. import database, logs, sessions
from ..extensions import db
from . import browser_state, rate_limits, tokens
from .models import BrowserSession, User, epoch

SILENT_COOKIE = "lxl_silent"
# The silent cookie outlives its session by this much, so that for a week the status frame
# can say "session_expired" (sign in again) rather than "no_session" (never signed in).
EXPIRED_NOTICE_SECONDS = 7 * 24 * 3600
HASHING_SLOTS = "lxl_password_hashing"
_unknown_user_hashes = {}


def _hasher():
    """Return the Argon2id hasher of the configured ``argon2.profiles`` profile."""
    return PasswordHasher.from_parameters(
        getattr(profiles, current_app.config["LXL_PASSWORD_PROFILE"]))


def _hashing_slot():
    """Return the semaphore every Argon2 computation holds (``LXL_PASSWORD_HASH_CONCURRENCY``).

    Each computation takes the profile's memory (64 MiB): bounded here, concurrent sign-ins
    wait their turn instead of exhausting memory, while the server keeps enough threads for
    requests that hash nothing (the NGO backend calls the IdP inside the same process).
    """
    extensions = current_app.extensions
    if HASHING_SLOTS not in extensions:
        # setdefault: two first requests at once still share one semaphore.
        extensions.setdefault(HASHING_SLOTS, threading.BoundedSemaphore(
            current_app.config["LXL_PASSWORD_HASH_CONCURRENCY"]))
    return extensions[HASHING_SLOTS]


def _verify(password_hash, password):
    """True if ``password`` matches ``password_hash``."""
    with _hashing_slot():
        try:
            return _hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _unknown_user_hash():
    # Verified against when the address is unknown, so both failures take the same time.
    profile = current_app.config["LXL_PASSWORD_PROFILE"]
    if profile not in _unknown_user_hashes:
        _unknown_user_hashes[profile] = hash_password(secrets.token_urlsafe(16))
    return _unknown_user_hashes[profile]


def hash_password(password):
    """Return the Argon2id hash of ``password`` to store."""
    with _hashing_slot():
        return _hasher().hash(password)


class EmailTaken(ValueError):
    """An account with this address exists already."""


def create_user(email, name, password):
    """Create and return an account; raise ``EmailTaken`` if the address is in use."""
    if User.by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=User.normalize_email(email), name=name.strip(),
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email, password):
    """Return the user whose address and password these are, or ``None``.

    Raise ``rate_limits.TooManyFailures`` instead of checking the password when this
    account or this client address had too many wrong ones lately.
    """
    email = User.normalize_email(email)
    rate_limits.count_password_attempt(email)
    user = User.by_email(email)
    accepted = _verify(user.password_hash if user else _unknown_user_hash(), password)
    rate_limits.record_password_result(email, accepted)
    if not accepted:
        return None
    if user is not None and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def set_password(user, password, expected_hash=None, verify_address=False):
    """Change the password: a reset, ending every session and revoking every token.

    With ``expected_hash``, only while the account's hash is still that one, in one
    conditional UPDATE (a single-use link: of two requests at once, one changes it); return
    False, changing nothing, if it is not. ``verify_address`` also marks the address
    verified (a link mailed to it was followed). Return True once the password is changed.
    """
    new_hash = hash_password(password)
    values = {"password_hash": new_hash, **({"email_verified": True} if verify_address else {})}
    if expected_hash is None:
        for name, value in values.items():
            setattr(user, name, value)
    else:
        changed = db.session.execute(db.update(User).where(
            User.id == user.id, User.password_hash == expected_hash).values(**values)
        ).rowcount == 1
        db.session.commit()
        if not changed:
            return False
        db.session.refresh(user)
    end_all_sessions(user)
    tokens.revoke_all_of(user)
    return True


def _hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def _live(query, now):
    return query.where(BrowserSession.ended_at.is_(None), BrowserSession.expires_at > now)


def _of_browser(query):
    """Return ``query`` narrowed to a browser's unended sessions (``:key_hash``), newest first."""
    return query.where(BrowserSession.browser_key_hash == bindparam("key_hash"),
                       BrowserSession.ended_at.is_(None)).order_by(BrowserSession.id.desc())


# Built once, for signing in and out and the account page: ORM objects, with their user.
SESSIONS_BY_KEY = _of_browser(db.select(BrowserSession)).options(
    joinedload(BrowserSession.user))


@dataclass(frozen=True)
class UserSnapshot:
    """What a silent sign-in or a token request reads of a user: read from a row, never
    changed. Rows are the driver's (``database.execute``): SQLite's booleans are integers."""

    id: int
    email: str
    name: str
    email_verified: bool
    subject_seed: str

    COLUMNS = (User.id, User.email, User.name, User.email_verified, User.subject_seed)

    @classmethod
    def of(cls, row):
        """Return the snapshot of a row that starts with ``COLUMNS``."""
        user_id, email, name, verified, seed = row[:len(cls.COLUMNS)]
        return cls(user_id, email, name, bool(verified), seed)

    def get_user_id(self):
        """Return the internal id (Authlib's user protocol)."""
        return self.id


@dataclass(frozen=True)
class SessionSnapshot:
    """What a silent sign-in or a token request reads of a browser session, with its user."""

    id: int
    sid_seed: str
    auth_time: int
    expires_at: int
    user: UserSnapshot

    OWN_COLUMNS = (BrowserSession.id, BrowserSession.sid_seed, BrowserSession.auth_time,
                   BrowserSession.expires_at)
    COLUMNS = (*OWN_COLUMNS, *UserSnapshot.COLUMNS)

    @classmethod
    def of(cls, row):
        """Return the snapshot of a row that starts with ``COLUMNS``."""
        width = len(cls.OWN_COLUMNS)
        return cls(*row[:width], UserSnapshot.of(row[width:]))


# The same sessions as SESSIONS_BY_KEY, as plain rows for snapshots: the path every silent
# sign-in takes skips the ORM's loading, which cost it about 0.1 ms (issue 12).
SESSION_SNAPSHOTS_BY_KEY = _of_browser(db.select(*SessionSnapshot.COLUMNS).join(
    User, User.id == BrowserSession.user_id))


def sessions_for_key(key):
    """Return ``(live sessions newest first, True if one existed but expired)`` for a key.

    ORM objects, for signing out and the like; a silent sign-in reads ``snapshots_for_key``.
    """
    if not key:
        return [], False
    rows = db.session.scalars(SESSIONS_BY_KEY, {"key_hash": _hash_key(key)}).all()
    return _live_first(rows, expires_at=lambda row: row.expires_at)


def snapshots_for_key(key, statement, **parameters):
    """Return ``(live rows newest first, True if one existed but expired)`` for a key.

    ``statement`` is ``SESSION_SNAPSHOTS_BY_KEY``, maybe with columns added (which may take
    ``parameters``): each row is ``(SessionSnapshot, *those columns' values)``.
    """
    if not key:
        return [], False
    rows = database.execute(statement, {"key_hash": _hash_key(key), **parameters}).all()
    width = len(SessionSnapshot.COLUMNS)
    return _live_first([(SessionSnapshot.of(row), *row[width:]) for row in rows],
                       expires_at=lambda row: row[0].expires_at)


def _live_first(rows, expires_at):
    now = epoch()
    live = [row for row in rows if expires_at(row) > now]
    return live, len(live) < len(rows)


def interactive_session():
    """Return the newest live browser session of this browser's Lax session, or ``None``."""
    live, _ = sessions_for_key(session.get("browser_key"))
    return live[0] if live else None


def silent_browser_key():
    """Return the browser key sent in the ``SameSite=None`` cookie (silent endpoints only)."""
    return request.cookies.get(SILENT_COOKIE)


def sign_in(user, remember):
    """Start an IdP session for ``user`` in this browser and set its cookies.

    One account per browser: signing in ends whatever session this browser had, and
    revokes its session-bound tokens as signing out does (a shared computer), so the
    status frame always speaks of exactly one person and ``prompt=none`` never needs to
    ask which account (``account_selection_required``). The session id and the browser key
    are both replaced (no fixation). Without "Stay signed in" the cookies end with the
    browser and the session after ``LXL_BROWSER_SESSION_LIFETIME`` at the latest; with it
    they last ``LXL_SESSION_LIFETIME``.
    """
    _end(sessions_for_key(session.get("browser_key"))[0])
    lifetime = int(sessions.lifetime(remember).total_seconds())
    key = secrets.token_urlsafe(32)
    browser_session = BrowserSession(
        user_id=user.id, browser_key_hash=_hash_key(key), remember=remember,
        expires_at=epoch() + lifetime, user_agent=request.user_agent.string[:300])
    db.session.add(browser_session)
    db.session.commit()

    current_app.session_interface.regenerate(session)
    session["browser_key"] = key
    session.permanent = remember
    sessions.keep_on_server()
    _set_silent_cookie(key, lifetime + EXPIRED_NOTICE_SECONDS if remember else None)
    browser_state.change(lifetime if remember else None)
    return browser_session


def sign_out(client_id=None):
    """End this browser's sessions and their session-bound tokens; drop both cookies.

    Once they have ended, log ``logout`` (scope ``browser``) for their user, and the client
    that asked for it (``client_id``, RP-initiated logout); nothing when none was live
    (already ended everywhere, say).
    """
    ended = sessions_for_key(session.get("browser_key"))[0]
    user = ended[0].user if ended else None
    _end(ended)
    session.clear()
    _set_silent_cookie("", 0)
    browser_state.change()
    if user is not None:
        logs.event("logout", user=user, scope="browser", client_id=client_id)


def end_all_sessions(user):
    """End every session of ``user`` in every browser, and its session-bound tokens; then
    log ``logout`` (scope ``everywhere``) if any was live."""
    ended = live_sessions_of(user)
    _end(ended)
    if ended:
        logs.event("logout", user=user, scope="everywhere")


def _end(browser_sessions):
    """End these browser sessions and revoke the tokens bound to them."""
    now = epoch()
    for row in browser_sessions:
        row.ended_at = now
    db.session.commit()
    tokens.revoke_session_bound([row.id for row in browser_sessions])


def live_sessions_of(user):
    """Return the user's live sessions in all browsers, newest first."""
    query = db.select(BrowserSession).filter_by(user_id=user.id)
    return db.session.scalars(_live(query, epoch()).order_by(BrowserSession.id.desc())).all()


def _set_silent_cookie(value, max_age):
    @after_this_request
    def set_cookie(response):
        response.set_cookie(SILENT_COOKIE, value, max_age=max_age, secure=True, httponly=True,
                            samesite="None", path="/oidc/")
        return response
