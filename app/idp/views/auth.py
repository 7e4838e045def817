"""Sign up, sign in and sign out at the IdP."""

import re
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for

from .. import accounts, bp
from ..forms import ActionForm, SignInForm, SignUpForm


# A path on this site as a URL carries it: printable ASCII, no spaces. Nothing else can go
# into a Location header (no CR/LF), and every path we send users on with is URL-encoded.
_PATH = re.compile(r"/[\x21-\x7e]*")


def _safe_next():
    """Return the ``next`` target if it is a path on this site, else the account page."""
    target = request.values.get("next", "")
    # Browsers read "/\host" as "//host": a backslash anywhere makes it someone else's URL.
    if _PATH.fullmatch(target) and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return url_for("idp.account")


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
def signup():
    """Create an account and sign it in."""
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.name.data, form.password.data)
        except accounts.EmailTaken:
            form.email.errors.append("An account with this email exists; sign in instead.")
        else:
            accounts.sign_in(user, remember=False)
            return redirect(_safe_next())
    return render_template("idp/signup.html", form=form, next=_safe_next())


@bp.route("/signout", methods=["POST"])
def signout():
    """Sign every account out of this browser."""
    if ActionForm().validate_on_submit():
        accounts.sign_out()
    return redirect(url_for("idp.signin"))
