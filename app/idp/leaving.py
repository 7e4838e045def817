"""Leaving LxL ID: deleting an account and everything that could act for it.

The account's consents, automatic sign-in choices, One-Tap quiet periods, browser sessions,
authorization codes and tokens are deleted with it — explicitly, not left to ``ON DELETE
CASCADE``, which SQLite honours only when asked. Their token families are revoked first, so
that a request already past its checks cannot save a token that would work (models.Token).
Sites then get nothing for the person: a refresh token or code finds no row, and the status
frame and ``prompt=none`` find no session (``no_session``). What a site kept about the person
on its own side is the site's to delete; the mail telling them their account is gone says so.
"""

from flask import render_template

from .. import logs
from ..extensions import db
from . import accounts, mail, tokens
from .models import (
    AuthorizationCode, AutoSelectOptOut, BrowserSession, Consent, PendingSignup,
    PromptCooldown, Token, User,
)


def delete_account(user):
    """Delete ``user`` and everything of theirs; end their sessions in every browser.

    The caller has checked the password, and signs this browser out (``accounts.sign_out``).
    Once committed, the log tells of each consent withdrawn and of the account deleted.
    """
    user_id, email, name = user.id, user.email, mail.name_for(user)
    consented = db.session.scalars(db.select(Consent.client_id).filter_by(user_id=user_id)).all()
    accounts.end_all_sessions(user)
    tokens.revoke_all_of(user)  # every token and token family: see models.Token
    for model in (Token, AuthorizationCode, Consent, AutoSelectOptOut, PromptCooldown,
                  BrowserSession):
        db.session.execute(db.delete(model).where(model.user_id == user_id))
    db.session.execute(db.delete(PendingSignup).where(PendingSignup.email == email))
    db.session.execute(db.delete(User).where(User.id == user_id))
    db.session.commit()
    db.session.expunge_all()  # nothing of theirs stays in this request's identity map
    # The row is gone: the log's reference is made from the id, all it reads.
    gone = User(id=user_id)
    for client_id in consented:
        logs.event("consent_withdrawn", user=gone, client_id=client_id)
    logs.event("account_deleted", user=gone)
    try:
        mail.send(email, "Your LxL ID has been deleted", render_template(
            "idp/mail/account_deleted.txt", name=name, email=email))
    except mail.MailNotSent:
        pass  # logged by mail.py; the account is gone all the same
