"""'Your account': address, allowed sites, signed-in browsers, password, leaving."""

from flask import abort, flash, redirect, render_template, request, url_for

from .. import (
    account_page, accounts, bp, consents, leaving, mail, mailed_links, rate_limits, verification,
)
from ..forms import (
    ActionForm, AutomaticSignInForm, ChangeEmailForm, ChangePasswordForm, DeleteAccountForm,
    MailedLinkForm,
)
from ..models import User

TOO_MANY_LINKS = ("You asked for several links in the last hour. Use the newest one, or wait "
                  "an hour and ask again.")


def _signed_in_user():
    browser_session = accounts.interactive_session()
    if browser_session is None:
        abort(redirect(url_for("idp.signin", next=request.full_path)))
    return browser_session.user


def _confirmed_with_password(user, form, unfilled, wrong):
    """True if ``form`` is valid and carries the user's password; else flash why, and False.

    ``unfilled`` and ``wrong`` are the messages for an incomplete form and a wrong password.
    """
    if not form.validate_on_submit():
        flash(unfilled, "error")
        return False
    if accounts.authenticate(user.email, form.password.data) is None:
        flash(wrong, "error")
        return False
    return True


@bp.route("/")
def home():
    """Send people to their account page (or to sign in first)."""
    return redirect(url_for("idp.account"))


@bp.route("/account")
def account():
    """Show the account in words: the address, allowed sites, signed-in browsers."""
    user = _signed_in_user()
    return render_template(
        "idp/account.html", user=user, sites=account_page.allowed_sites(user),
        browsers=account_page.signed_in_browsers(accounts.live_sessions_of(user),
                                                 accounts.interactive_session()),
        action=ActionForm(), password_form=ChangePasswordForm(),
        email_form=ChangeEmailForm(), delete_form=DeleteAccountForm())


@bp.route("/account/consents/<client_id>/revoke", methods=["POST"])
def revoke_consent(client_id):
    """Withdraw a site's access; its next silent sign-in needs consent again."""
    user = _signed_in_user()
    if ActionForm().validate_on_submit() and consents.revoke(user, client_id):
        flash("Access withdrawn.", "info")
    return redirect(url_for("idp.account"))


@bp.route("/account/signout-everywhere", methods=["POST"])
def signout_everywhere():
    """End the user's sessions in every browser, this one included."""
    user = _signed_in_user()
    if ActionForm().validate_on_submit():
        accounts.end_all_sessions(user)
        accounts.sign_out()
    return redirect(url_for("idp.signin"))


@bp.route("/account/password", methods=["POST"])
def change_password():
    """Change the password, which signs the user out everywhere."""
    user = _signed_in_user()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if accounts.authenticate(user.email, form.current_password.data) is None:
            flash("The current password is not right.", "error")
            return redirect(url_for("idp.account"))
        accounts.set_password(user, form.new_password.data)
        accounts.sign_out()
        flash("Password changed. Sign in again with the new one.", "info")
        return redirect(url_for("idp.signin"))
    flash("The new password needs at least 10 characters.", "error")
    return redirect(url_for("idp.account"))


@bp.route("/account/sites/<client_id>/automatic-sign-in", methods=["POST"])
def automatic_sign_in(client_id):
    """Switch a site's automatic sign-in on or off (the SDK's auto-select opt-out)."""
    user = _signed_in_user()
    form = AutomaticSignInForm()
    if (form.validate_on_submit() and form.allowed.data in ("on", "off")
            and consents.find(user, client_id) is not None):
        allowed = form.allowed.data == "on"
        account_page.set_automatic_sign_in(user, client_id, allowed)
        flash("Automatic sign-in is on for this site." if allowed else
              "Automatic sign-in is off for this site: it will ask before signing you in.",
              "info")
    return redirect(url_for("idp.account"))


@bp.route("/account/email/verify", methods=["POST"])
def send_verification():
    """Mail the account's address a link that confirms it."""
    user = _signed_in_user()
    if ActionForm().validate_on_submit() and not user.email_verified:
        return _mail_a_link(user, lambda: verification.send_verification(user),
                            f"We sent a link to {user.email}. Open it within a day to confirm "
                            "your address.", "Try again in a few minutes.")
    return redirect(url_for("idp.account"))


@bp.route("/account/email", methods=["POST"])
def change_email():
    """Ask to move the account to a new address: the password, then a link mailed to it."""
    user = _signed_in_user()
    form = ChangeEmailForm()
    if not _confirmed_with_password(user, form, "Type the new address and your password.",
                                    "The password is not right. Your address was not changed."):
        return redirect(url_for("idp.account"))
    if User.normalize_email(form.new_email.data) == user.email:
        flash(f"{user.email} is your address already.", "info")
        return redirect(url_for("idp.account"))
    # The same words whether or not the address has an account (verification.start_change).
    return _mail_a_link(
        user, lambda: verification.start_change(user, form.new_email.data),
        f"We sent a link to {form.new_email.data.strip().lower()}. Your address changes when "
        "you open it (within a day). Until then, sign in with your current address.",
        "Nothing was changed: try again in a few minutes.")


def _mail_a_link(user, send, sent, what_now):
    """Mail a link the signed-in person asked for (counted per account); say how it went."""
    if not rate_limits.count_account_mail(user.id):
        flash(TOO_MANY_LINKS, "error")
    else:
        try:
            send()
        except mail.MailNotSent:
            flash(f"{mail.NOT_TAKEN} {what_now}", "error")
        else:
            flash(sent, "info")
    return redirect(url_for("idp.account"))


@bp.route("/email/confirm", methods=["GET", "POST"])
def confirm_address():
    """Show a mailed "confirm your address" link's button; pressed, mark the address verified."""
    return _confirm(change=False)


@bp.route("/email/change", methods=["GET", "POST"])
def confirm_new_address():
    """Show a mailed "confirm your new address" link's button; pressed, move the account."""
    return _confirm(change=True)


def _confirm(change):
    # Following the link only shows a button: a mail scanner's GET changes nothing.
    form = MailedLinkForm(token=request.args.get("token", ""))
    # A move is for the account signed in here: the link alone may be in anyone's inbox.
    signed_in = accounts.interactive_session() if change else None
    signed_in = signed_in.user if signed_in is not None else None
    try:
        if form.validate_on_submit():
            user = verification.confirm(form.token.data, change, signed_in=signed_in)
            flash(f"Your address {user.email} is confirmed.", "info")
            return redirect(url_for("idp.account"))
        user, address = verification.pending(form.token.data, change)
        if change and (signed_in is None or signed_in.id != user.id):
            raise verification.NotSignedIn()
    except mailed_links.InvalidLink as error:
        return render_template("idp/signup_link.html", title="This link does not work",
                               message=str(error), link=url_for("idp.account"),
                               link_text="Go to your account"), 410
    except verification.AddressTaken as error:
        return render_template("idp/signup_link.html", title="This address is taken",
                               message=f"Another LxL ID uses {error} now, so your account "
                                       "keeps its address.",
                               link=url_for("idp.account"), link_text="Go to your account"), 409
    except verification.NotSignedIn:
        # Signed out, or signed in to another account (signing in replaces it).
        flash("Sign in to the LxL ID you want to move to the new address, then confirm.", "info")
        return redirect(url_for("idp.signin", next=url_for(request.endpoint,
                                                           token=form.token.data)))
    return render_template("idp/email_confirm.html", form=form, address=address, change=change,
                           current=user.email, endpoint=request.endpoint)


@bp.route("/account/delete", methods=["POST"])
def delete_account():
    """Delete the account, with its password; sign out everywhere."""
    user = _signed_in_user()
    form = DeleteAccountForm()
    if not _confirmed_with_password(user, form, "Type your password to delete your account.",
                                    "The password is not right. Your account was not deleted."):
        return redirect(url_for("idp.account"))
    leaving.delete_account(user)
    accounts.sign_out()
    return render_template("idp/account_deleted.html")
