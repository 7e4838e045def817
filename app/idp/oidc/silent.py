"""Signing a returning user in without any page: ``prompt=none`` (OIDC Core §3.1.2.1, §3.1.2.6).

One function decides, for a client, a scope and this browser, whether the user can be signed
in silently — and if not, the standard OIDC error and the reason (reasons.py) that tells the
site why. The status frame and ``/oidc/authorize?prompt=none`` both ask it, so they can
never disagree.
"""

from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)
from flask import request
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError

from ... import logs
from ...extensions import db
from .. import accounts, consents, prompt_cooldowns
from ..models import AuthorizationCode, AutoSelectOptOut, BrowserSession, Consent
from . import claims, hints, max_age, reasons
from .max_age import MaxAge

STORAGE_ACCESS_HEADER = "Sec-Fetch-Storage-Access"


@dataclass
class Outcome:
    """The verdict: a browser session to sign in with, or an OIDC error and a reason."""

    session: object = None  # an accounts.SessionSnapshot
    error: type = None
    reason: str = None
    # With a session: whether the request's nonce is one this client already used in a code.
    nonce_used: bool = False

    def raise_for_error(self):
        """Raise the OAuth error (carrying ``reason``) unless the user can be signed in."""
        if self.error is not None:
            error = self.error()
            error.reason = self.reason
            raise error


def storage_access():
    """Return the Storage Access Headers state of this request: none, inactive, active or None.

    Chromium sends ``Sec-Fetch-Storage-Access`` on cross-site frame requests (BROWSER_NOTES):
    ``none``/``inactive`` mean the browser withheld our cookies, so the IdP cannot see the
    session — which is not the same as there being none.
    """
    return request.headers.get(STORAGE_ACCESS_HEADER)


def storage_access_retry(origin):
    """Return the headers asking Chromium to repeat this frame request with storage access.

    Storage Access Headers: when ``origin``'s site already holds a storage-access grant for
    us (``inactive``), the browser can retry the request with our cookie instead of the page
    needing a second frame. ``origin`` must be a registered web origin of the client.
    """
    if storage_access() != "inactive":
        return {}
    return {"Activate-Storage-Access": f'retry; allowed-origin="{origin}"'}


def cookies_withheld():
    """True when the browser told us it withheld third-party cookies from this request."""
    return storage_access() in ("none", "inactive") and not accounts.silent_browser_key()


@dataclass(frozen=True)
class Hints:
    """Whom the request expects, and how recent a sign-in (OIDC Core §3.1.2.1), validated."""

    subject: str | None = None  # the sub of id_token_hint
    email: str | None = None  # login_hint
    max_age: MaxAge = MaxAge()

    @classmethod
    def read(cls, data, client_id):
        """Return the hints of the request ``data``; raise ``InvalidRequestError`` if bad."""
        token = data.get("id_token_hint")
        email = data.get("login_hint")
        return cls(subject=hints.subject_for(token, client_id) if token else None,
                   email=email.strip().lower() if email else None,
                   max_age=max_age.read(data))

    def name_someone_else(self, user, client_id):
        """True if a hint names someone other than ``user``."""
        if self.subject is not None:
            return claims.subject(user, client_id) != self.subject
        return self.email is not None and user.email != self.email


def evaluate(client, scope, given=Hints(), ignore_opt_out=False, nonce=None):
    """Decide whether this browser's user can be signed in to ``client`` silently.

    The ``given`` hints count only once the user has consented: before that, no answer may
    depend on them, or a client could learn who is signed in (one frame per guessed
    address) or since when (a binary search on ``max_age``). ``ignore_opt_out`` is for the
    One-Tap card's Continue only (card_frame.continue_card): the person's own click, which an
    opt-out of *automatic* sign-in does not forbid. The same statement tells whether
    ``nonce`` was already used (``Outcome.nonce_used``): the replay check of a ``prompt=none``
    request (grants.PromptNoneMixin), without a statement of its own.
    """
    if cookies_withheld():
        return Outcome(error=InteractionRequiredError, reason=reasons.THIRD_PARTY_COOKIES_BLOCKED)
    live, expired = accounts.snapshots_for_key(accounts.silent_browser_key(), _VERDICT,
                                               client_id=client.client_id, nonce=nonce)
    if not live:
        reason = reasons.SESSION_EXPIRED if expired else reasons.NO_SESSION
        return Outcome(error=LoginRequiredError, reason=reason)
    session, opted_out, granted, nonce_used = live[0]  # one account per browser: accounts.sign_in
    if opted_out and not ignore_opt_out:
        return Outcome(error=LoginRequiredError, reason=reasons.AUTO_SELECT_DISABLED)
    if granted is None or not Consent.scope_covers(granted, scope):
        return Outcome(error=ConsentRequiredError, reason=reasons.CONSENT_REQUIRED)
    if given.name_someone_else(session.user, client.client_id):
        return Outcome(error=LoginRequiredError, reason=reasons.NO_SESSION)
    if given.max_age.exceeded_by(session):
        return Outcome(error=LoginRequiredError, reason=reasons.SESSION_EXPIRED)
    return Outcome(session=session, nonce_used=bool(nonce_used))


def log_attempt(user=None, reason=None, error=None):
    """Log one silent sign-in: no one to sign in and why (``reason``), else the OAuth
    ``error`` that refused the request itself, else the credential issued to ``user``."""
    outcome = "logged_out" if reason else "error" if error else "credential"
    logs.event("silent_signin", user=user, outcome=outcome, reason=reason, error=error)


def _of_user_at_client(model):
    return (model.user_id == BrowserSession.user_id, model.client_id == bindparam("client_id"))


# The codes in which this client already used a nonce (OIDC Core §15.5.2): a column of the
# verdict for a prompt=none request, its own statement for any other (grants._NONCE_USED).
NONCE_USED = db.select(AuthorizationCode.id).where(
    AuthorizationCode.client_id == bindparam("client_id"),
    AuthorizationCode.nonce == bindparam("nonce"))


# Built once: every silent request runs it. The browser's sessions, each with its user and,
# for the client asking, whether the user opted out, the scope they consented to, and
# whether the client already used the request's nonce in a code (a NULL nonce never was).
_VERDICT = accounts.SESSION_SNAPSHOTS_BY_KEY.add_columns(
    db.select(AutoSelectOptOut.id).where(*_of_user_at_client(AutoSelectOptOut)).exists(),
    db.select(Consent.scope).where(*_of_user_at_client(Consent)).scalar_subquery(),
    NONCE_USED.exists())


def is_opted_out(user, client_id):
    """True if the user asked ``client_id``'s site not to sign them in automatically."""
    return db.session.scalar(db.select(AutoSelectOptOut.id).filter_by(
        user_id=user.id, client_id=client_id)) is not None


def opt_out(client_id):
    """Stop automatic sign-in to ``client_id`` for the user signed in on this browser."""
    live, _ = accounts.sessions_for_key(accounts.silent_browser_key())
    if live and not is_opted_out(live[0].user, client_id):
        add_opt_out(live[0].user, client_id)
    return bool(live)


def clear_opt_out(user, client_id):
    """Allow automatic sign-in again: the user signed in to the client interactively."""
    db.session.execute(db.delete(AutoSelectOptOut).filter_by(user_id=user.id,
                                                             client_id=client_id))
    db.session.commit()


def add_opt_out(user, client_id):
    """Stop automatic sign-in to ``client_id`` for ``user``; once, even for two requests at
    once (a double submit): (user, client) is unique, and the second insert changes nothing."""
    if is_opted_out(user, client_id):
        return
    db.session.add(AutoSelectOptOut(user_id=user.id, client_id=client_id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def signed_in_by_hand(user, client_id):
    """The user signed in to ``client_id``'s site themselves (the sign-in form, consent, the
    One-Tap card's Continue): turn automatic sign-in back on and forget their closings of
    the site's card."""
    clear_opt_out(user, client_id)
    prompt_cooldowns.clear(user, client_id)


def revoke_consent(client_id, hint):
    """Withdraw ``client_id``'s consent for the signed-in user, if ``hint`` names them.

    ``hint`` is an ID token issued to the client or its ``sub`` (the SDK's ``revoke``).
    """
    live, _ = accounts.sessions_for_key(accounts.silent_browser_key())
    if not live:
        return False
    user = live[0].user
    try:
        subject = hints.subject_for(hint, client_id) if hint.count(".") == 2 else hint
    except InvalidRequestError:
        return False
    return subject == claims.subject(user, client_id) and consents.revoke(user, client_id)
