"""A forgotten password: a link mailed to the address, then a form that sets a new one.

Asking gives the same answer whether or not the address has an account, after the same
work: one account lookup and one message. What differs goes to the address by mail — a link
to set a new password, or a note that there is no LxL ID with this address. The link expires
after an hour and works once (mailed_links.py: it names the password it replaces). Setting
the new password is a password change (``accounts.set_password``): every browser is signed
out, and every token — session-bound and offline — is revoked.

Rate-limited per address asked about (``LXL_RATELIMIT_RESETS_PER_ACCOUNT``, and over a day
``LXL_RATELIMIT_RESETS_PER_ACCOUNT_DAILY``), quietly: past
the limit the answer is the same and no mail is sent, so the count cannot tell anyone
whether the address has an account, nor fill its inbox. Per client address
(``LXL_RATELIMIT_RESETS_PER_ADDRESS``) the limit answers 429.
"""

from flask import render_template, url_for

from ..extensions import db
from . import accounts, mail, mailed_links, rate_limits
from .models import User
from .oidc.metadata import issuer

PURPOSE = "password-reset"
LINK_LIFETIME_SECONDS = 3600
EXPIRED = ("This link has expired: links to set a new password work for one hour. "
           "Ask for a new link.")
UNKNOWN_OR_USED = ("This link has already been used, or it is not one we sent. Links to set "
                   "a new password work once: ask for a new link if you still need one.")


def request_reset(email):
    """Mail ``email`` a link to set a new password, or a note that it has no account.

    Raise ``rate_limits.TooManyResets`` when this client address asked too often, and
    ``mail.MailNotSent`` if the mail server refused.
    """
    email = User.normalize_email(email)
    if not rate_limits.count_reset_request(email):
        return  # quietly: see the module's docstring
    user = User.by_email(email)
    if user is None:
        mail.send(email, "About your request for a new LxL ID password", render_template(
            "idp/mail/reset_no_account.txt", email=email,
            link=issuer() + url_for("idp.signup")))
        return
    token = mailed_links.make(PURPOSE, {"u": user.id, "e": user.email,
                                        "p": mailed_links.password_fingerprint(user)})
    # From the configured origin, not the request's: a proxy may have ended TLS.
    mail.send(email, "Set a new password for your LxL ID", render_template(
        "idp/mail/reset_password.txt", name=mail.name_for(user), email=email,
        link=issuer() + url_for("idp.reset_password", token=token)))


def user_for(token):
    """Return the account a reset ``token`` may set a password for; raise ``InvalidLink``."""
    payload = mailed_links.read(PURPOSE, token, LINK_LIFETIME_SECONDS, EXPIRED, UNKNOWN_OR_USED)
    user = db.session.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if (user is None or user.email != payload.get("e")
            or mailed_links.password_fingerprint(user) != payload.get("p")):
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    return user


def reset(token, password):
    """Set ``password`` for the account of a reset ``token``; return that account.

    Signs out every browser and revokes every token (``accounts.set_password``). Raise
    ``InvalidLink`` if the token is unknown, used or expired.
    """
    user = user_for(token)
    # Following a link mailed to the address proves it, as a sign-up's link does. Only
    # the request that still finds the hash the link names sets the new one: single use.
    if not accounts.set_password(user, password, expected_hash=user.password_hash,
                                 verify_address=True):
        raise mailed_links.InvalidLink(UNKNOWN_OR_USED)
    # The wrong passwords that came before are moot: the new one starts with a clean count.
    rate_limits.clear_password_failures(user.email)
    return user
