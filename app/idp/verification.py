"""Proving an address: verifying the one an account has, and moving an account to a new one.

Both go through a link mailed to the address (mailed_links.py), which expires after a day
and works once; following it sets ``email_verified``, which ID tokens and UserInfo then
carry (oidc/claims.py). An account made by sign-up starts verified (signups.py): its link
proved the address already.

Changing the address needs the password (the view checks it). The link goes to the *new*
address; the old one is told at once, while it can still act — the link names the password
it was made under, so changing the password stops it — and again once the change is made.
If the new address belongs to another account, that account's owner is told instead, and
the answer to the person asking is the same.
"""

from flask import render_template, url_for
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import mail, mailed_links
from .models import User
from .oidc.metadata import issuer

VERIFY, CHANGE = "verify-address", "change-address"
LINK_LIFETIME_SECONDS = 24 * 3600
EXPIRED = ("This link has expired: links to confirm an address work for one day. "
           "Ask for a new one from your account page.")
UNKNOWN_OR_USED = ("This link has already been used, or it is not one we sent. Your account "
                   "page shows your address and whether it is confirmed.")


class AddressTaken(ValueError):
    """Another account has this address."""


def send_verification(user):
    """Mail ``user``'s address a link that confirms it."""
    token = mailed_links.make(VERIFY, {"u": user.id, "e": user.email})
    mail.send(user.email, "Confirm your email address for LxL ID", render_template(
        "idp/mail/verify_address.txt", email=user.email,
        link=issuer() + url_for("idp.confirm_address", token=token)))


def start_change(user, new_email):
    """Mail ``new_email`` a link that moves ``user``'s account to it, and tell the old address.

    The password must have been checked. If ``new_email`` has an account, its owner is told
    instead of being sent a link, and the old address hears nothing (nothing is happening).
    """
    new_email = User.normalize_email(new_email)
    owner = User.by_email(new_email)
    if owner is not None:
        if owner.id != user.id:
            mail.send(new_email, "Someone tried to move an LxL ID to your address",
                      render_template("idp/mail/address_in_use.txt", name=mail.name_for(owner),
                                      email=new_email))
        return
    token = mailed_links.make(CHANGE, {"u": user.id, "from": user.email, "to": new_email,
                                       "p": mailed_links.password_fingerprint(user)})
    mail.send(new_email, "Confirm your new email address for LxL ID", render_template(
        "idp/mail/confirm_new_address.txt", email=new_email,
        link=issuer() + url_for("idp.confirm_new_address", token=token)))
    mail.send(user.email, "Your LxL ID may move to a new email address", render_template(
        "idp/mail/address_change_requested.txt", name=mail.name_for(user), old=user.email,
        new=new_email, link=issuer() + url_for("idp.account")))


def pending(token, change):
    """Return ``(user, new address)`` of a mailed ``token``; raise ``InvalidLink`` if none.

    For a verification, the new address is the current one.
    """
    payload = mailed_links.read(CHANGE if change else VERIFY, token, LINK_LIFETIME_SECONDS,
                                EXPIRED, UNKNOWN_OR_USED)
    user = db.session.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if user is None:
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    if change:
        if (user.email != payload.get("from")
                or mailed_links.password_fingerprint(user) != payload.get("p")
                or not isinstance(payload.get("to"), str)):
            raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
        return user, payload["to"]
    if user.email != payload.get("e") or user.email_verified:
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    return user, user.email


def confirm(token, change):
    """Mark the address of a mailed ``token`` verified (moving the account to it first).

    Return the account. Raise ``InvalidLink`` for an unknown, used or expired token and
    ``AddressTaken`` if another account took the new address since.
    """
    user, address = pending(token, change)
    old, old_name = user.email, mail.name_for(user)  # the name only if ``old`` was proven
    # Conditional on the state the link names, so that of two requests only one changes it.
    still = [User.id == user.id, User.email == old, User.password_hash == user.password_hash]
    if not change:
        still.append(User.email_verified.is_(False))
    try:
        done = db.session.execute(db.update(User).where(*still).values(
            email=address, email_verified=True)).rowcount == 1
        db.session.commit()
    except IntegrityError:  # users.email is unique: another account has the address now
        db.session.rollback()
        raise AddressTaken(address) from None
    if not done:
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    db.session.refresh(user)
    if change:
        mail.send(old, "Your LxL ID moved to a new email address", render_template(
            "idp/mail/address_changed.txt", name=old_name, old=old, new=address))
    return user
