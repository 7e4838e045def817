"""RP-initiated logout at ``/oidc/logout`` (OpenID Connect RP-Initiated Logout 1.0)."""

from authlib.oauth2 import OAuth2Error
from flask import flash, redirect, render_template, request, url_for

from ...extensions import csrf
from .. import bp
from ..forms import ActionForm
from ..oidc.logout import needs_confirmation
from ..oidc.server import authorization_server


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
        # The confirmation form carries the RP's request over (§2), as checked.
        params = end_session_request.request.payload.data.items()
        return render_template("idp/logout_confirm.html", form=ActionForm(), params=params,
                               client=end_session_request.client)
    response = server.create_endpoint_response("end_session", end_session_request)
    if response is not None:
        return response
    flash("You are signed out of LxL ID.", "info")
    return redirect(url_for("idp.signin"))
