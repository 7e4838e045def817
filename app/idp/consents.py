"""What each user has allowed each client to know (OIDC Core §3.1.2.4), and the request a
consent page is answering."""

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from .. import logs
from ..extensions import db
from .models import Consent, Token, epoch

# How long a consent page may stay open before its answer is refused.
PENDING_REQUEST_SECONDS = 3600


class PendingRequestExpired(ValueError):
    """A consent answer that no longer applies; the message says why."""


def find(user, client_id):
    """Return the user's consent for ``client_id``, or ``None``."""
    return db.session.scalar(db.select(Consent).filter_by(user_id=user.id, client_id=client_id))


def covers(user, client_id, scope):
    """True if the user has already granted every scope in ``scope`` to the client."""
    consent = find(user, client_id)
    return consent is not None and consent.covers(scope)


def remember(user, client_id, scope):
    """Record that the user granted ``scope`` (added to what was granted before)."""
    consent = find(user, client_id)
    if consent is None:
        consent = Consent(user_id=user.id, client_id=client_id, scope="")
        db.session.add(consent)
    consent.scope = " ".join(sorted(set(consent.scope.split()) | set(scope.split())))
    db.session.commit()
    logs.event("consent_granted", user=user, client_id=client_id, scope=scope)


def revoke(user, client_id):
    """Withdraw the consent and revoke every token the client holds for the user."""
    consent = find(user, client_id)
    if consent is not None:
        db.session.delete(consent)
    now = epoch()
    for token in db.session.scalars(db.select(Token).filter_by(
            user_id=user.id, client_id=client_id, access_token_revoked_at=0)):
        token.access_token_revoked_at = token.refresh_token_revoked_at = now
    db.session.commit()
    if consent is not None:
        logs.event("consent_withdrawn", user=user, client_id=client_id)
    return consent is not None


def granted_clients(user):
    """Return the user's consents, newest first."""
    return db.session.scalars(db.select(Consent).filter_by(user_id=user.id)
                              .order_by(Consent.granted_at.desc())).all()


def sign_pending_request(params, browser_session):
    """Return a signed copy of an authorization request, for its consent page to send back.

    Bound to the browser session that saw the page, so the answer is the same person's.
    """
    return _pending_serializer().dumps({"params": params, "session": browser_session.id})


def load_pending_request(signed, browser_session):
    """Return the parameters of the request a consent page answers, if it still applies."""
    try:
        pending = _pending_serializer().loads(signed, max_age=PENDING_REQUEST_SECONDS)
    except BadData:
        raise PendingRequestExpired("This consent page has expired.") from None
    if browser_session is None or pending["session"] != browser_session.id:
        raise PendingRequestExpired("You signed out or in as someone else since this consent "
                                    "page was shown.")
    return pending["params"]


def _pending_serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="lxl.pending-authorization")
