"""The IdP's data: accounts, clients, consents, browser sessions, codes, tokens, keys, mail."""

import hashlib
import hmac
import secrets
import time

from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2TokenMixin,
)
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .oidc.metadata import PUBLIC_AUTH_METHOD, SECRET_AUTH_METHODS


CODE_LIFETIME_SECONDS = 600


def epoch():
    """Return the current time in whole seconds since the epoch (as JWT claims count it).

    The one clock of the IdP: every stored time and every protocol time is read from it.
    """
    return int(time.time())


def new_secret():
    """Return a fresh 256-bit random value, URL-safe."""
    return secrets.token_urlsafe(32)


class User(db.Model):
    """A person with an LxL ID account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: addresses are compared case-insensitively (one account per address).
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # True once the person followed a link mailed to the address (a sign-up's confirmation).
    email_verified: Mapped[bool] = mapped_column(default=False)
    # Counts requests to move the account to a new address, and moves: a link to move it names
    # the count it was made at, so a newer request or a move voids every older link.
    email_change_serial: Mapped[int] = mapped_column(default=0, server_default="0")
    # Seed of the pairwise subject identifiers (OIDC Core §8.1); never leaves the IdP.
    subject_seed: Mapped[str] = mapped_column(String(64), default=new_secret)
    created_at: Mapped[int] = mapped_column(default=epoch)

    @staticmethod
    def normalize_email(email):
        """Return the form of ``email`` that is stored and compared."""
        return email.strip().lower()

    @classmethod
    def by_email(cls, email):
        """Return the user with this address (any case), or ``None``."""
        return db.session.scalar(db.select(cls).filter_by(email=cls.normalize_email(email)))

    def get_user_id(self):
        """Return the internal id (Authlib's user protocol)."""
        return self.id


class Client(db.Model, OAuth2ClientMixin):
    """A relying party: a site that signs its users in with LxL ID."""

    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(48), unique=True)

    @staticmethod
    def hash_secret(secret):
        """Return what is stored of a client secret: its SHA-256 (the secret is random)."""
        return hashlib.sha256(secret.encode()).hexdigest()

    def check_client_secret(self, client_secret):
        """Compare a presented secret with the stored hash in constant time."""
        return bool(self.client_secret) and hmac.compare_digest(
            self.client_secret, self.hash_secret(client_secret))

    @property
    def is_public(self):
        """True for a browser client with no secret (PKCE instead)."""
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD

    def check_endpoint_auth_method(self, method, endpoint):
        """True if the client may authenticate by ``method`` (token and revocation endpoints).

        A public client uses ``none``; a confidential one its secret, by either method that
        discovery advertises. Authlib's default accepts only the registered method at the
        token endpoint, and any method elsewhere.
        """
        return method in ((PUBLIC_AUTH_METHOD,) if self.is_public else SECRET_AUTH_METHODS)

    @property
    def web_origins(self):
        """Origins allowed to frame the session iframes and receive web messages."""
        return self.client_metadata.get("web_origins", [])

    @property
    def post_logout_redirect_uris(self):
        """Exact URIs RP-initiated logout may return to."""
        return self.client_metadata.get("post_logout_redirect_uris", [])

    def to_public_dict(self):
        """Return the client's registration as shown by ``lxl clients list``."""
        return {"client_id": self.client_id, "public": self.is_public, **self.client_metadata}


class Consent(db.Model):
    """A user's standing grant of ``scope`` to a client (the consent page's memory)."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(48))
    scope: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[int] = mapped_column(default=epoch)

    def covers(self, scope):
        """True if every scope in the space-separated ``scope`` was granted."""
        return self.scope_covers(self.scope, scope)

    @staticmethod
    def scope_covers(granted, scope):
        """True if every scope in the space-separated ``scope`` is in ``granted``."""
        return set(scope.split()) <= set(granted.split())


class BrowserSession(db.Model):
    """One signed-in account in one browser: what the IdP's session cookies point at."""

    __tablename__ = "browser_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the random browser key held in the session cookies (never the key itself).
    browser_key_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Seed of the per-client ``sid`` claims, so two sites cannot correlate one session.
    sid_seed: Mapped[str] = mapped_column(String(64), default=new_secret)
    remember: Mapped[bool] = mapped_column(default=False)
    auth_time: Mapped[int] = mapped_column(default=epoch)
    expires_at: Mapped[int] = mapped_column()
    ended_at: Mapped[int | None] = mapped_column(default=None)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    user: Mapped[User] = relationship()


class AutoSelectOptOut(db.Model):
    """The user asked a client's site not to sign them in automatically (SDK opt-out)."""

    __tablename__ = "auto_select_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[int] = mapped_column(default=epoch)


class PromptCooldown(db.Model):
    """The user closed a client's One-Tap card: how often, and until when it stays quiet."""

    __tablename__ = "prompt_cooldowns"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(48))
    # Closings in a row (prompt_cooldowns.py): each one quiets the card for longer.
    dismissals: Mapped[int] = mapped_column(default=0)
    quiet_until: Mapped[int] = mapped_column()


class TokenFamily(db.Model):
    """One authorization: its code and every token descended from it, revoked as one.

    RFC 6749 §4.1.2, RFC 9700 §4.14.2. Each code and token is checked against its family at
    every use, so a token saved after the family was revoked (a refresh racing the replay
    that revoked it) never works.
    """

    __tablename__ = "token_families"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_secret)
    created_at: Mapped[int] = mapped_column(default=epoch)
    revoked_at: Mapped[int | None] = mapped_column(default=None)


class CodeRules:
    """What a code's own columns decide, for the row and for the token endpoint's snapshot of
    it (oidc/grants.py, ``CodeSnapshot``). Ahead of Authlib's mixin, whose rules differ: it
    would expire a code 300 s after the *sign-in* and stamp ``auth_time`` on every token."""

    def get_auth_time(self):
        """Return the ``auth_time`` claim for this code's ID token, if max_age asked for it."""
        return self.auth_time if self.max_age_requested else None

    def is_expired(self):
        """RFC 6749 §4.1.2: a code must expire shortly; ten minutes is the maximum."""
        return self.created_at + CODE_LIFETIME_SECONDS < epoch()


class AuthorizationCode(db.Model, CodeRules, OAuth2AuthorizationCodeMixin):
    """A one-time code from the authorization endpoint (RFC 6749 §4.1.2)."""

    __tablename__ = "authorization_codes"
    # The nonce replay check (OIDC Core §15.5.2) looks codes up by client and nonce.
    __table_args__ = (Index("ix_authorization_codes_client_nonce", "client_id", "nonce"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    browser_session_id: Mapped[int | None] = mapped_column(ForeignKey("browser_sessions.id"))
    user: Mapped[User] = relationship()
    browser_session: Mapped[BrowserSession | None] = relationship()

    created_at: Mapped[int] = mapped_column(default=epoch)
    used_at: Mapped[int | None] = mapped_column(default=None)
    # The tokens this code buys share its family, so a replayed code can revoke them.
    family: Mapped[str] = mapped_column(ForeignKey("token_families.id"))
    token_family: Mapped[TokenFamily] = relationship()
    # auth_time goes into the ID token only when the request asked max_age (oidc/max_age.py).
    max_age_requested: Mapped[bool] = mapped_column(default=False)


class Token(db.Model, OAuth2TokenMixin):
    """An access token and, optionally, its refresh token."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: a password change revokes a user's tokens, a sign-out its session's
    # (tokens.py); without them each is a scan of every token (bench/growth).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    browser_session_id: Mapped[int | None] = mapped_column(ForeignKey("browser_sessions.id"),
                                                           index=True)
    # Refresh-token rotation: every token descended from one code shares a family.
    family: Mapped[str] = mapped_column(ForeignKey("token_families.id"), index=True)
    refresh_token_used_at: Mapped[int | None] = mapped_column(default=None)
    # offline_access (OIDC Core §11): the refresh token outlives the IdP browser session.
    offline: Mapped[bool] = mapped_column(default=False)
    user: Mapped[User] = relationship()
    browser_session: Mapped[BrowserSession | None] = relationship()
    token_family: Mapped[TokenFamily] = relationship(lazy="joined")  # read at every use (is_revoked)

    def is_revoked(self):
        """True if this token or its family was revoked (Authlib asks at every use)."""
        return bool(super().is_revoked()) or self.token_family.revoked_at is not None

    def is_refresh_token_valid(self):
        """True while the refresh token may be exchanged (Authlib's refresh grant)."""
        return not self.refresh_token_revoked_at and not self.is_revoked()


class SigningKey(db.Model):
    """An RS256 key pair for ID tokens; the newest unretired one signs."""

    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(default=epoch)
    retired_at: Mapped[int | None] = mapped_column(default=None)



class PendingSignup(db.Model):
    """A sign-up waiting for its person to follow the link mailed to its address."""

    __tablename__ = "pending_signups"
    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token in the mailed link (never the token itself).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Where to go once the account exists, validated when the sign-up was made.
    next_url: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[int] = mapped_column(index=True)


class OutboxMessage(db.Model):
    """A message kept instead of sent, on one machine (CONTRACT.md "Local mail")."""

    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Not ``to``: a reserved word in SQL.
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(default=epoch)
