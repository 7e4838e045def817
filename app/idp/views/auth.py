"""Sign up (finished through a mailed link), sign in and sign out at the IdP."""

from flask import flash, redirect, render_template, request, url_for

from .. import accounts, bp, mail, rate_limits, signups
from ..forms import ActionForm, FinishSignUpForm, SignInForm, SignUpForm
from ..models import User
from ...sites import is_local_path


def _safe_next():
    """Return the ``next`` target if it is a path on this site, else the account page."""
    target = request.values.get("next", "")
    return target if is_local_path(target) else url_for("idp.account")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Show the sign-in form; on success start a session and go on to ``next``."""
    form = SignInForm(email=request.args.get("login_hint", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            accounts.sign_in(user, remember=form.remember.data)
            return redirect(_safe_next())
        # One message for an unknown address and a wrong password: no account probing.
        flash("That email and password do not match an account.", "error")
    return render_template("idp/signin.html", form=form, next=_safe_next())


@bp.route("/signup", methods=["GET", "POST"])
@rate_limits.limit_sign_ups
def signup():
    """Take a sign-up; answer "check your inbox" whether or not the address has an account."""
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            signups.start(form.name.data, form.email.data, form.password.data, _safe_next())
        except mail.MailNotSent:
            return mail_not_sent_page("Nothing was created: please try again in a few minutes.")
        return render_template("idp/signup_sent.html",
                               email=User.normalize_email(form.email.data))
    return render_template("idp/signup.html", form=form, next=_safe_next())


@bp.route("/signup/confirm", methods=["GET", "POST"])
def signup_confirm():
    """Show a mailed sign-up link's button; pressed, create the account and sign it in.

    Following the link only shows the button: mail scanners fetch links before people do,
    and a GET that spent the token would sign the scanner in and leave the person a used link.
    """
    form = FinishSignUpForm(token=request.args.get("token", ""))
    try:
        if form.validate_on_submit():
            user, next_url = signups.finish(form.token.data)
            accounts.sign_in(user, remember=False)
            return redirect(next_url)
        pending = signups.pending(form.token.data)
    except signups.InvalidLink as error:
        return render_template("idp/signup_link.html", title="This link does not work",
                               message=str(error), link=url_for("idp.signup"),
                               link_text="Create an account"), 410
    except accounts.EmailTaken as error:
        return render_template("idp/signup_link.html", title="You already have an LxL ID",
                               message=f"An account with {error} exists already, so no "
                                       "second one was created.",
                               link=url_for("idp.signin"), link_text="Sign in"), 409
    # The page carries the token: like every IdP page it is kept out of caches (account.py).
    return render_template("idp/signup_confirm.html", form=form, pending=pending)


def mail_not_sent_page(what_now):
    """The 503 page of a form whose mail the server refused; ``what_now`` says what to do."""
    return render_template("error.html", title="We could not send your email",
                           message=f"{mail.NOT_TAKEN} {what_now}"), 503


@bp.route("/signout", methods=["POST"])
def signout():
    """Sign every account out of this browser."""
    if ActionForm().validate_on_submit():
        accounts.sign_out()
    return redirect(url_for("idp.signin"))
