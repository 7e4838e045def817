"""Sign-up by mail: an account exists once the person follows a link mailed to its address.

A sign-up that created the account at once had to say when an address was taken, undoing
sign-in's uniform answer (issue 8, finding 8). Now every valid sign-up gets the same answer,
"check your inbox", after the same work: one Argon2 hash, one write, one message. What
differs goes to the address by mail: a link that finishes the new account, or a note to the
owner that they have one already. Following the link proves the address, so the account
starts with ``email_verified`` true.
"""

import hashlib
import secrets

from flask import render_template, url_for
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import accounts, mail
from .models import PendingSignup, User, epoch
from .oidc.metadata import issuer

LINK_LIFETIME_SECONDS = 3600


class InvalidLink(Exception):
    """The link is unknown, used or expired; ``str()`` says which, in plain words."""


EXPIRED = ("This link has expired: links to finish creating an account work for one hour. "
           "Create your account again to get a new link.")
UNKNOWN_OR_USED = ("This link has already been used, or it is not one we sent. If you have "
                   "finished creating your account, sign in.")


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start(name, email, password, next_url):
    """Mail ``email`` a link that finishes the sign-up, or its owner a note that it is taken.

    Both cases hash the password and make one write before the message, so neither the
    answer nor its timing tells whether the address has an account. ``next_url`` must be
    validated already: the finished sign-up goes there.
    """
    email = User.normalize_email(email)
    password_hash = accounts.hash_password(password)
    now = epoch()
    # Every sign-up sweeps out expired ones: the same write whichever the case.
    db.session.execute(db.delete(PendingSignup).where(PendingSignup.expires_at <= now))
    owner = User.by_email(email)
    if owner is None:
        token = secrets.token_urlsafe(32)
        db.session.add(PendingSignup(
            token_hash=_hash(token), email=email, name=name.strip(), password_hash=password_hash,
            next_url=next_url, expires_at=now + LINK_LIFETIME_SECONDS))
    db.session.commit()
    # The typed name stays out of the message: it would let anyone put words (or links) in
    # a mail from LxL ID to any address.
    if owner is None:
        # From the configured origin, not the request's: a proxy may have ended TLS.
        link = issuer() + url_for("idp.signup_confirm", token=token)
        mail.send(email, "Finish creating your LxL ID", render_template(
            "idp/mail/finish_signup.txt", email=email, link=link))
    else:
        mail.send(email, "Someone tried to create an LxL ID with your address", render_template(
            "idp/mail/address_taken.txt", name=mail.name_for(owner), email=email,
            link=issuer() + url_for("idp.signin")))


def pending(token):
    """Return the live pending sign-up of a mailed ``token``; raise ``InvalidLink`` if none."""
    row = db.session.scalar(db.select(PendingSignup).where(
        PendingSignup.token_hash == _hash(token), PendingSignup.expires_at > epoch()))
    if row is None:
        raise _invalid(token)
    return row


def finish(token):
    """Create the account of a mailed ``token``, its address verified; return it and ``next``.

    A token works once. Raise ``InvalidLink`` for an unknown, used or expired token, and
    ``accounts.EmailTaken`` if the address got an account since the sign-up.
    """
    # Deleting is claiming: of two requests with one token, exactly one gets the row.
    row = db.session.scalars(db.delete(PendingSignup).where(
        PendingSignup.token_hash == _hash(token), PendingSignup.expires_at > epoch(),
    ).returning(PendingSignup)).one_or_none()
    if row is None:
        raise _invalid(token)
    email, next_url = row.email, row.next_url
    # Other links to the same address are moot once it has an account.
    db.session.execute(db.delete(PendingSignup).where(PendingSignup.email == email))
    user = User(email=email, name=row.name, password_hash=row.password_hash,
                email_verified=True)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # users.email is unique: the address has an account already
        db.session.rollback()
        db.session.execute(db.delete(PendingSignup).where(PendingSignup.email == email))
        db.session.commit()
        raise accounts.EmailTaken(email) from None
    return user, next_url


def _invalid(token):
    known = db.session.scalar(db.select(PendingSignup.id).filter_by(token_hash=_hash(token)))
    return InvalidLink(EXPIRED if known is not None else UNKNOWN_OR_USED)
