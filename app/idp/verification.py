"""Proving an address: verifying the one an account has, and moving an account to a new one.

Both go through a link mailed to the address (mailed_links.py), which expires after a day
and works once; following it sets ``email_verified``, which ID tokens and UserInfo then
carry (oidc/claims.py). An account made by sign-up starts verified (signups.py): its link
proved the address already.

Changing the address needs the password (the view checks it). The old address is told at
once, while it can still act — the link names the password it was made under, so changing the
password stops it — and the link goes to the *new* address; the old one is told again once
the change is made. The link moves the account only for someone signed in to it, and only
while it is the account's newest: each request, and the move itself, bumps the account's
``email_change_serial``, which the link names. If the new address belongs to another account,
that account's owner is told instead of getting a link; the person asking and the old
address see the same answer and the same notice, and the same two messages go out.
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


class NotSignedIn(Exception):
    """A link to move an account was used where that account is not signed in."""


def send_verification(user):
    """Mail ``user``'s address a link that confirms it."""
    token = mailed_links.make(VERIFY, {"u": user.id, "e": user.email})
    mail.send(user.email, "Confirm your email address for LxL ID", render_template(
        "idp/mail/verify_address.txt", email=user.email,
        link=issuer() + url_for("idp.confirm_address", token=token)))


def start_change(user, new_email):
    """Tell the old address, then mail ``new_email`` a link that moves ``user``'s account to it.

    The password must have been checked. Each request voids the links of earlier ones (the
    account's ``email_change_serial``). If ``new_email`` has another account, its owner is
    told instead of being sent a link; to the person asking, and to the old address, both
    cases look the same: the same notice to the old address, and two messages.
    """
    new_email = User.normalize_email(new_email)
    owner = User.by_email(new_email)
    if owner is not None and owner.id == user.id:
        return
    serial = _bump_serial(user)
    # The old address first, while it can still act: if the new one's mail fails, it knows.
    mail.send(user.email, "Your LxL ID may move to a new email address", render_template(
        "idp/mail/address_change_requested.txt", name=mail.name_for(user), old=user.email,
        new=new_email, link=issuer() + url_for("idp.account")))
    token = mailed_links.make(CHANGE, {"u": user.id, "from": user.email, "to": new_email,
                                       "p": mailed_links.password_fingerprint(user),
                                       "n": serial})
    if owner is not None:
        mail.send(new_email, "Someone tried to move an LxL ID to your address",
                  render_template("idp/mail/address_in_use.txt", name=mail.name_for(owner),
                                  email=new_email))
        return
    mail.send(new_email, "Confirm your new email address for LxL ID", render_template(
        "idp/mail/confirm_new_address.txt", email=new_email,
        link=issuer() + url_for("idp.confirm_new_address", token=token)))


def _bump_serial(user):
    """Void every earlier link to move ``user``'s account; return the new serial."""
    db.session.execute(db.update(User).where(User.id == user.id).values(
        email_change_serial=User.email_change_serial + 1))
    db.session.commit()
    db.session.refresh(user)
    return user.email_change_serial


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
                or user.email_change_serial != payload.get("n")
                or not isinstance(payload.get("to"), str)):
            raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
        return user, payload["to"]
    if user.email != payload.get("e") or user.email_verified:
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    return user, user.email


def confirm(token, change, signed_in=None):
    """Mark the address of a mailed ``token`` verified (moving the account to it first).

    A move needs ``signed_in``, the account signed in to this browser, to be the link's:
    the link proves the new address, the session that the account's owner wants it. Raise
    ``NotSignedIn`` otherwise. Return the account. Raise ``InvalidLink`` for an unknown, used
    or expired token and ``AddressTaken`` if another account took the new address since.
    """
    user, address = pending(token, change)
    if change and (signed_in is None or signed_in.id != user.id):
        raise NotSignedIn()
    old, old_name = user.email, mail.name_for(user)  # the name only if ``old`` was proven
    # Conditional on the state the link names, so that of two requests only one changes it.
    still = [User.id == user.id, User.email == old, User.password_hash == user.password_hash]
    values = {"email": address, "email_verified": True}
    if change:  # the move voids every other link to move the account
        still.append(User.email_change_serial == user.email_change_serial)
        values["email_change_serial"] = User.email_change_serial + 1
    else:
        still.append(User.email_verified.is_(False))
    try:
        done = db.session.execute(db.update(User).where(*still).values(**values)).rowcount == 1
        db.session.commit()
    except IntegrityError:  # users.email is unique: another account has the address now
        db.session.rollback()
        raise AddressTaken(address) from None
    if not done:
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    db.session.refresh(user)
    if change:
        try:
            mail.send(old, "Your LxL ID moved to a new email address", render_template(
                "idp/mail/address_changed.txt", name=old_name, old=old, new=address))
        except mail.MailNotSent:
            pass  # logged by mail.py; the account has moved all the same
    return user
