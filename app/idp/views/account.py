"""'Your account': granted sites, active sessions, password."""

from flask import abort, flash, redirect, render_template, request, url_for

from .. import accounts, bp, consents
from ..forms import ActionForm, ChangePasswordForm
from ..models import Client
from ...extensions import db


def _signed_in_user():
    browser_session = accounts.interactive_session()
    if browser_session is None:
        abort(redirect(url_for("idp.signin", next=request.full_path)))
    return browser_session.user


@bp.route("/")
def home():
    """Send people to their account page (or to sign in first)."""
    return redirect(url_for("idp.account"))


@bp.route("/account")
def account():
    """List the sites the user has granted and the user's active sessions."""
    user = _signed_in_user()
    granted = [(c, db.session.scalar(db.select(Client).filter_by(client_id=c.client_id)))
               for c in consents.granted_clients(user)]
    return render_template("idp/account.html", user=user, granted=granted,
                           sessions=accounts.live_sessions_of(user),
                           current=accounts.interactive_session(),
                           action=ActionForm(), password_form=ChangePasswordForm())


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
