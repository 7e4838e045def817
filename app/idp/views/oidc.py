"""The OpenID Connect endpoints (paths fixed by CONTRACT.md)."""

import hmac
import secrets
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from flask import (
    after_this_request,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadData, URLSafeTimedSerializer

from ...extensions import csrf
from .. import accounts, bp, consents, keys, rate_limits
from ..forms import ConsentForm
from ..oidc import claims, max_age, response_modes, silent
from ..oidc.discovery import provider_metadata
from ..oidc.server import authorization_request, authorization_server, require_token

# Cookie and resumed-request parameter marking a sign-in made for one authorization request.
SIGN_IN_MARK = "lxl_sign_in"
SIGN_IN_MARK_SECONDS = 3600


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


def _login_url(params):
    """Return the sign-in page URL that resumes this authorization request afterwards.

    The resumed request carries a fresh mark that this browser also holds in a cookie: only
    the sign-in form leads back with it, so arriving with both shows the user signed in for
    this very request (``_signed_in_for_this_request``), which also satisfies ``max_age``.
    """
    # Drop prompt from the resumed request: the sign-in satisfies it, and keeping it would
    # send the user round again. max_age stays: it asks for auth_time in the ID token.
    resumed = {k: v for k, v in params.items() if k != "prompt"}
    mark = secrets.token_urlsafe(16)
    resumed[SIGN_IN_MARK] = mark
    next_url = url_for("idp.authorize") + "?" + urlencode(resumed)

    @after_this_request
    def set_mark(response):
        response.set_cookie(SIGN_IN_MARK, _mark_signer().dumps(mark), max_age=SIGN_IN_MARK_SECONDS,
                            secure=True, httponly=True, samesite="Lax",
                            path=url_for("idp.authorize"))
        return response

    return url_for("idp.signin", next=next_url, login_hint=params.get("login_hint", ""))


def _mark_signer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=SIGN_IN_MARK)


def _signed_in_for_this_request(browser_session):
    """True if the user submitted the sign-in form for this request (see ``_login_url``)."""
    mark, cookie = request.args.get(SIGN_IN_MARK), request.cookies.get(SIGN_IN_MARK)
    if not mark or not cookie or browser_session is None:
        return False
    try:
        expected, marked_at = _mark_signer().loads(cookie, max_age=SIGN_IN_MARK_SECONDS,
                                                   return_timestamp=True)
    except BadData:
        return False

    @after_this_request
    def drop_mark(response):
        response.delete_cookie(SIGN_IN_MARK, path=url_for("idp.authorize"), secure=True,
                               httponly=True, samesite="Lax")
        return response

    return hmac.compare_digest(mark, expected) and \
        browser_session.auth_time >= int(marked_at.timestamp())


@bp.route("/oidc/authorize", methods=["GET", "POST"])
@csrf.exempt  # OIDC Core §3.1.2.1: clients may POST the request; it only reads (no state change)
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
    params = grant.request.payload.data
    signed_in_for_this_request = _signed_in_for_this_request(browser_session)
    if user is None or grant.prompt in ("login", "select_account") or (
            not signed_in_for_this_request and _too_old(browser_session, params)):
        return redirect(_login_url(params))
    client, scope = grant.client, grant.request.scope
    if grant.prompt == "consent" or not consents.covers(user, client.client_id, scope):
        return _consent_page(grant, browser_session)
    if signed_in_for_this_request:
        # Signing in to the site by hand is the user's way of turning auto sign-in back on.
        silent.signed_in_by_hand(user, client.client_id)
    return server.create_authorization_response(grant=grant, grant_user=user)


def _consent_page(grant, browser_session):
    """Ask the user; the answer goes to ``consent`` with a signed copy of this request."""
    form = ConsentForm(authorization_request=consents.sign_pending_request(
        grant.request.payload.data, browser_session))
    return render_template("idp/consent.html", client=grant.client, user=browser_session.user,
                           scopes=grant.request.scope.split(), form=form)


@bp.route("/oidc/authorize/consent", methods=["POST"])
def consent():
    """The consent page's decision (CSRF-checked): issue the pending request, or deny it."""
    form = ConsentForm()
    if not form.validate_on_submit():
        return _consent_expired("The form expired.")
    browser_session = accounts.interactive_session()
    try:
        params = consents.load_pending_request(form.authorization_request.data,
                                               browser_session)
    except consents.PendingRequestExpired as expired:
        return _consent_expired(str(expired))
    server, user = authorization_server(), browser_session.user
    pending = authorization_request(params, "POST")
    try:
        grant = server.get_consent_grant(request=pending, end_user=user)
    except OAuth2Error as error:
        return _authorization_error(server, error, pending)
    grant.request.browser_session = browser_session
    if request.form.get("decision") != "allow":
        return server.create_authorization_response(grant=grant, grant_user=None)
    consents.remember(user, grant.client.client_id, grant.request.scope)
    silent.signed_in_by_hand(user, grant.client.client_id)
    return server.create_authorization_response(grant=grant, grant_user=user)


def _consent_expired(why):
    return render_template("error.html", title="Please try again",
                           message=f"{why} Go back to the site and sign in again."), 400


def _authorize_silently():
    """``prompt=none``: never a page of ours; the grant decides (grants.PromptNoneMixin)."""
    server = authorization_server()
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        _log_silent_refusal(error)
        response = make_response(_authorization_error(server, error))
    else:
        # Issuing saves the code, and Authlib answers an OAuth error raised meanwhile: only
        # an answer that carries a credential is logged as one.
        response = server.create_authorization_response(grant=grant,
                                                        grant_user=grant.request.user)
        if (error := getattr(grant.request, "answered_error", None)) is not None:
            _log_silent_refusal(error)
        else:
            silent.log_attempt(grant.request.user)
    if silent.storage_access() == "inactive" and (origin := _registered_origin()):
        response.headers.update(silent.storage_access_retry(origin))
    response.vary.add("Sec-Fetch-Storage-Access")
    return response


def _log_silent_refusal(error):
    silent.log_attempt(reason=getattr(error, "reason", None), error=error.error)


def _registered_origin():
    """Return the redirect URI's origin if it is a registered web origin of the client."""
    client = authorization_server().query_client(request.values.get("client_id", ""))
    try:
        origin = response_modes.origin_of(request.values.get("redirect_uri", ""))
    except ValueError:  # not a URI (an IPv6 host that is none): refused already
        return None
    return origin if client is not None and origin in client.web_origins else None


def _authorization_error(server, error, oauth_request=None):
    if error.redirect_uri is None:
        return authorization_error_page(error)
    return server.handle_error_response(oauth_request or server.create_oauth2_request(request),
                                        error)


def _too_old(browser_session, params):
    """True if ``max_age`` asks for a fresher sign-in than this session's (OIDC Core §3.1.2.1)."""
    return browser_session is not None and max_age.read(params).exceeded_by(browser_session)


@bp.route("/oidc/token", methods=["POST"])
@csrf.exempt
@rate_limits.limit_token_failures
def token():
    """The token endpoint (RFC 6749 §3.2): clients authenticate, no browser form."""
    return authorization_server().create_token_response()


@bp.route("/oidc/revoke", methods=["POST"])
@csrf.exempt
@rate_limits.limit_token_failures  # failed client authentication counts here too
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
