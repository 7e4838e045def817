"""The OpenID Connect endpoints (paths fixed by CONTRACT.md)."""

from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from flask import jsonify, redirect, render_template, request, url_for

from ...extensions import csrf
from .. import accounts, bp, consents, keys
from ..forms import ActionForm
from ..oidc import claims
from ..oidc.discovery import provider_metadata
from ..oidc.server import authorization_server, require_token


def _public_json(document):
    """JSON any origin may read without credentials (discovery, JWKS)."""
    response = jsonify(document)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/.well-known/openid-configuration")
def discovery():
    """OpenID Connect Discovery 1.0 §4."""
    return _public_json(provider_metadata())


@bp.route("/oidc/jwks")
def jwks():
    """The JWK Set that verifies ID tokens (RFC 7517 §5)."""
    return _public_json(keys.jwks())


def authorization_error_page(error):
    """Explain an error that must not go back to the client (RFC 6749 §4.1.2.1)."""
    if error.error == "invalid_client":
        client_id = request.values.get("client_id")
        message = (f"Unknown 'client_id' {client_id!r}: no site is registered under it."
                   if client_id else "Missing 'client_id' parameter.")
    else:
        message = error.description or error.error
    return render_template("error.html", title="This sign-in link is not valid",
                           message=message, error=error.error), 400


def _login_url(grant):
    """Return the sign-in page URL that resumes this authorization request afterwards."""
    # Drop prompt=login/select_account from the resumed request, or it would loop.
    resumed = {k: v for k, v in request.args.items(multi=True) if k != "prompt"}
    next_url = url_for("idp.authorize") + "?" + urlencode(resumed)
    return url_for("idp.signin", next=next_url,
                   login_hint=grant.request.payload.data.get("login_hint", ""))


@bp.route("/oidc/authorize", methods=["GET", "POST"])
def authorize():
    """The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2)."""
    server = authorization_server()
    browser_session = accounts.interactive_session()
    user = browser_session.user if browser_session else None
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        if error.redirect_uri is None:
            return authorization_error_page(error)
        return server.handle_error_response(server.create_oauth2_request(request), error)
    grant.request.browser_session = browser_session
    if grant.prompt in ("login", "select_account"):
        return redirect(_login_url(grant))

    client, scope = grant.client, grant.request.scope
    if request.method == "POST":
        form = ActionForm()
        if not form.validate_on_submit():
            return render_template("error.html", title="Please try again",
                                   message="The form expired; go back and try again."), 400
        allowed = request.form.get("decision") == "allow"
        if allowed:
            consents.remember(user, client.client_id, scope)
        return server.create_authorization_response(grant=grant,
                                                    grant_user=user if allowed else None)
    if grant.prompt == "consent" or not consents.covers(user, client.client_id, scope):
        return render_template("idp/consent.html", client=client, user=user,
                               scopes=scope.split(), form=ActionForm())
    return server.create_authorization_response(grant=grant, grant_user=user)


@bp.route("/oidc/token", methods=["POST"])
@csrf.exempt
def token():
    """The token endpoint (RFC 6749 §3.2): clients authenticate, no browser form."""
    return authorization_server().create_token_response()


@bp.route("/oidc/revoke", methods=["POST"])
@csrf.exempt
def revoke():
    """Token revocation (RFC 7009 §2)."""
    return authorization_server().create_endpoint_response("revocation")


@bp.route("/oidc/userinfo", methods=["GET", "POST"])
@csrf.exempt
@require_token("openid")
def userinfo():
    """The UserInfo endpoint (OIDC Core §5.3)."""
    return jsonify(claims.user_info(current_token.user, current_token.scope,
                                    current_token.client_id))
