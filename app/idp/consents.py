"""What each user has allowed each client to know (OIDC Core §3.1.2.4)."""

from ..extensions import db
from .models import Consent, Token, epoch


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
    return consent is not None


def granted_clients(user):
    """Return the user's consents, newest first."""
    return db.session.scalars(db.select(Consent).filter_by(user_id=user.id)
                              .order_by(Consent.granted_at.desc())).all()
