"""The OpenID Connect endpoints (paths fixed by CONTRACT.md)."""

from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from flask import jsonify, make_response, redirect, render_template, request, url_for

from ...extensions import csrf
from .. import accounts, bp, consents, keys, rate_limits
from ..forms import ActionForm
from ..models import epoch
from ..oidc import claims, max_age, response_modes, silent
from ..oidc.discovery import provider_metadata
from ..oidc.server import authorization_server, require_token


# How long relying parties may cache discovery and the JWKS. A key rotation is picked up
# sooner all the same: clients fetch the JWKS again when a token names an unknown kid.
PUBLIC_DOCUMENT_MAX_AGE = 3600


def _public_json(document):
    """JSON any origin may read without credentials, and cache (discovery, JWKS)."""
    response = jsonify(document)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_DOCUMENT_MAX_AGE
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
    # Drop prompt from the resumed request: the sign-in satisfies it, and keeping it would
    # send the user round again. max_age stays (it asks for auth_time in the ID token), with
    # the moment from which a sign-in satisfies it.
    resumed = [(k, v) for k, v in request.args.items(multi=True)
               if k not in ("prompt", max_age.SIGN_IN_REQUESTED_AT)]
    if max_age.read(request.args).requested:
        resumed.append((max_age.SIGN_IN_REQUESTED_AT, str(epoch())))
    next_url = url_for("idp.authorize") + "?" + urlencode(resumed)
    return url_for("idp.signin", next=next_url,
                   login_hint=grant.request.payload.data.get("login_hint", ""))


@bp.route("/oidc/authorize", methods=["GET", "POST"])
def authorize():
    """The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2)."""
    if request.values.get("prompt") == "none":
        return _authorize_silently()
    server = authorization_server()
    browser_session = accounts.interactive_session()
    user = browser_session.user if browser_session else None
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorization_error(server, error)
    grant.request.browser_session = browser_session
    if grant.prompt in ("login", "select_account") or _too_old(browser_session):
        return redirect(_login_url(grant))

    client, scope = grant.client, grant.request.scope
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            return render_template("error.html", title="Please try again",
                                   message="The form expired; go back and try again."), 400
        if request.form.get("decision") != "allow":
            return server.create_authorization_response(grant=grant, grant_user=None)
        consents.remember(user, client.client_id, scope)
    elif grant.prompt == "consent" or not consents.covers(user, client.client_id, scope):
        return render_template("idp/consent.html", client=client, user=user,
                               scopes=scope.split(), form=ActionForm())
    # Signing in to the site by hand is the user's way of turning auto sign-in back on.
    silent.clear_opt_out(user, client.client_id)
    return server.create_authorization_response(grant=grant, grant_user=user)


def _authorize_silently():
    """``prompt=none``: never a page of ours; the grant decides (grants.PromptNoneMixin)."""
    server = authorization_server()
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        response = make_response(_authorization_error(server, error))
    else:
        response = server.create_authorization_response(grant=grant,
                                                        grant_user=grant.request.user)
    if origin := _registered_origin():
        response.headers.update(silent.storage_access_retry(origin))
    response.vary.add("Sec-Fetch-Storage-Access")
    return response


def _registered_origin():
    """Return the redirect URI's origin if it is a registered web origin of the client."""
    client = authorization_server().query_client(request.args.get("client_id", ""))
    origin = response_modes.origin_of(request.args.get("redirect_uri", ""))
    return origin if client is not None and origin in client.web_origins else None


def _authorization_error(server, error):
    if error.redirect_uri is None:
        return authorization_error_page(error)
    return server.handle_error_response(server.create_oauth2_request(request), error)


def _too_old(browser_session):
    """True if ``max_age`` asks for a fresher sign-in than this session's (OIDC Core §3.1.2.1)."""
    return browser_session is not None and max_age.read(request.values).exceeded_by(browser_session)


@bp.route("/oidc/token", methods=["POST"])
@csrf.exempt
@rate_limits.limit_token_failures
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
