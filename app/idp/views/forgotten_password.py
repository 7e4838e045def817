"""A forgotten password: ``/password/forgot`` and the mailed link's ``/password/reset``."""

from flask import flash, redirect, render_template, request, url_for

from .. import accounts, bp, mail, mailed_links, recovery
from ..forms import ForgotPasswordForm, ResetPasswordForm
from ..models import User
from .auth import mail_not_sent_page


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link to set a new password; the answer never says whether there's an account."""
    form = ForgotPasswordForm(email=request.args.get("email", "")[:320])
    if form.validate_on_submit():
        try:
            recovery.request_reset(form.email.data)
        except mail.MailNotSent:
            return mail_not_sent_page("Please try again in a few minutes.")
        return render_template("idp/password_sent.html",
                               email=User.normalize_email(form.email.data))
    return render_template("idp/password_forgot.html", form=form)


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """Show a mailed reset link's form; submitted, set the new password and sign out everywhere.

    Following the link only shows the form (a mail scanner's GET changes nothing); the token
    then travels in the form's body, not in a URL.
    """
    form = ResetPasswordForm(token=request.args.get("token", ""))
    try:
        if form.validate_on_submit():
            recovery.reset(form.token.data, form.password.data)
            accounts.sign_out()
            flash("Your new password is set, and every browser was signed out. "
                  "Sign in with your new password.", "info")
            return redirect(url_for("idp.signin"))
        user = recovery.user_for(form.token.data)
    except mailed_links.InvalidLink as error:
        return _link_failed(error, url_for("idp.forgot_password"), "Ask for a new link")
    if form.password.errors:
        flash("The new password needs at least 10 characters.", "error")
    return render_template("idp/password_reset.html", form=form, email=user.email)


def _link_failed(error, link, link_text):
    """The page of a link that does not work (410 Gone): what happened, and what to do."""
    return render_template("idp/signup_link.html", title="This link does not work",
                           message=str(error), link=link, link_text=link_text), 410
