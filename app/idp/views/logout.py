"""RP-initiated logout at ``/oidc/logout`` (OpenID Connect RP-Initiated Logout 1.0)."""

from authlib.oauth2 import OAuth2Error
from flask import flash, redirect, render_template, request, url_for

from ...extensions import csrf
from .. import bp
from ..forms import ActionForm
from ..oidc.logout import needs_confirmation
from ..oidc.server import authorization_server

# What the confirmation form carries over from the RP's request (§2).
LOGOUT_PARAMETERS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state",
                     "logout_hint", "ui_locales")


@bp.route("/oidc/logout", methods=["GET", "POST"])
@csrf.exempt  # RPs may POST here cross-site (§2); the confirmation form checks its own token
def logout():
    """End this browser's IdP session for an RP, asking the user first unless the hint says who."""
    server = authorization_server()
    try:
        end_session_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        # §4: an invalid request gets an error page, never a redirect to the RP.
        return render_template("error.html", title="This sign-out link is not valid",
                               message=error.description, error=error.error), 400
    confirmed = request.method == "POST" and ActionForm().validate_on_submit()
    if needs_confirmation(end_session_request) and not confirmed:
        params = [(name, request.values[name]) for name in LOGOUT_PARAMETERS
                  if request.values.get(name)]
        return render_template("idp/logout_confirm.html", form=ActionForm(), params=params,
                               client=end_session_request.client)
    response = server.create_endpoint_response("end_session", end_session_request)
    if response is not None:
        return response
    flash("You are signed out of LxL ID.", "info")
    return redirect(url_for("idp.signin"))
