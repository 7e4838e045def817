"""Signing supporters in and out of the NGO site through LxL ID (paths: CONTRACT.md).

Three ways in, one site session (signin.py):
- ``POST /auth/credential``: the SDK's credential, posted by the page's callback (or by the
  SDK's form with ``data-login_uri``), or LxL ID's form_post when the SDK's button runs in
  redirect mode; verified in credentials.py;
- ``/login`` → ``/auth/callback``: the visible sign-in, the code flow with PKCE;
- ``/auth/silent`` → ``/auth/callback``: the same code flow with ``prompt=none``, for a
  returning supporter whose browser hides LxL ID's cookies from its frame (third-party
  cookies blocked). Any ``prompt=none`` error brings back the sign-in link, never a page.
"""

import logging

import requests
from authlib.integrations.base_client import OAuthError
from flask import flash, jsonify, redirect, render_template, request, session, url_for
from joserfc.errors import JoseError

from .. import logs
from ..config import NGO_CALLBACK_PATH, NGO_CREDENTIAL_PATH
from ..extensions import csrf
from . import bp, cookies, credentials, signin
from .oidc_client import callback_uri, idp, origin

log = logging.getLogger(__name__)

# What prompt=none answers instead of showing a page (OIDC Core §3.1.2.6).
PROMPT_NONE_ERRORS = frozenset({"login_required", "consent_required", "interaction_required",
                                "account_selection_required"})
# Set while a top-level prompt=none request is out: any answer to it brings back the
# sign-in link, never an error page.
PROMPT_NONE_PENDING = "prompt_none_pending"


# Endpoints that need no fresh tokens: static files, and those that sign in or out anyway
# (a refusal there would sign the supporter out before a logout could use the ID token).
NO_REFRESH = frozenset({"ngo.static", "ngo.credential", "ngo.logout", "ngo.logout_everywhere"})


@bp.before_request
def keep_tokens_fresh():
    """Refresh a code-flow sign-in's tokens before they expire."""
    if request.endpoint not in NO_REFRESH:
        signin.keep_tokens_fresh()


@bp.route("/login")
def login():
    """Start the visible sign-in: the authorization code flow with PKCE at LxL ID."""
    signin.remember_return_to(request.args.get("next"))
    return idp().authorize_redirect(callback_uri())


@bp.route("/auth/silent")
def prompt_none():
    """Ask LxL ID, top-level and without any page of its own, who is signed in there.

    Only for a browser that signed in here before, once per browser session (a failure
    never loops), and never after the supporter signed out here (that forgets the browser).
    """
    signin.remember_return_to(request.args.get("next"))
    hint = cookies.returning_supporter_hint()
    if hint is None or cookies.prompt_none_tried() or signin.current_supporter():
        return redirect(signin.take_return_to())
    cookies.mark_prompt_none_tried()
    session[PROMPT_NONE_PENDING] = True
    return idp().authorize_redirect(callback_uri(), prompt="none", id_token_hint=hint)


@bp.route(NGO_CALLBACK_PATH)
def callback():
    """Finish the code flow: Authlib redeems the code and verifies the ID token."""
    error = request.args.get("error")
    silent = session.pop(PROMPT_NONE_PENDING, False)
    if error in PROMPT_NONE_ERRORS or (error and silent):
        log.info("Silent sign-in at LxL ID answered %s: offering the sign-in link",
                 logs.error_code(error))
        if error not in PROMPT_NONE_ERRORS:
            # The hint itself was refused (say, signed by a key LxL ID no longer publishes):
            # it would be refused again, so this browser is no longer a returning supporter.
            cookies.forget_returning_supporter()
        return redirect(signin.take_return_to())
    if error:
        return _sign_in_failed(error, request.args.get("error_description", ""), 400)
    try:
        token = idp().authorize_access_token(leeway=credentials.LEEWAY)
    except OAuthError as error:
        return _sign_in_failed(error.error, error.description or "", 400)
    except JoseError as error:
        return _sign_in_failed(error.error, "LxL ID's ID token did not verify.", 400)
    return_to = signin.take_return_to()
    signin.sign_in(token["userinfo"], token["id_token"], token)
    return redirect(return_to)


@bp.route(NGO_CREDENTIAL_PATH, methods=["POST"])
@csrf.exempt  # its CSRF defence is the g_csrf_token double-submit (credentials.py)
def credential():
    """Sign in with a credential: the SDK's (JSON for the page's fetch, a redirect for its
    form), or LxL ID's form_post in redirect mode (a redirect back to the page it left)."""
    shape = credentials.shape_of(request.form)
    if shape == credentials.FORM_POST_SHAPE:
        # LxL ID answered the state: spent, whatever the answer, so it never answers twice.
        cookies.forget_form_post_state()
    try:
        credentials.check_double_submit(request.form, request.cookies, shape)
        credentials.check_no_error(request.form)
        id_token = request.form.get(shape.credential_field)
        claims = credentials.verify(id_token, cookies.take_nonce(), shape)
    except credentials.Rejected as rejection:
        log.warning("Refused a credential: %s", rejection)
        if _wants_json():
            return jsonify(error=rejection.code, message=rejection.message), rejection.status
        back = cookies.take_form_post_return_to() or url_for("ngo.home")
        if rejection.code == "access_denied":
            # The person pressed Deny at LxL ID: nothing broke, so they go back to the page
            # they left, told what happened there.
            flash(rejection.message, "info")
            return redirect(back, 303)
        return _sign_in_failed(rejection.code, rejection.message, rejection.status, back)
    supporter = signin.sign_in(claims, id_token)
    if _wants_json():
        return jsonify(signed_in=True, name=supporter["name"] or supporter["email"])
    return redirect(cookies.take_form_post_return_to() or url_for("ngo.home"), 303)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign the supporter out of this site; the next page stops silent sign-in."""
    signin.sign_out()
    return redirect(url_for("ngo.home"))


@bp.route("/logout/lxl-id", methods=["POST"])
def logout_everywhere():
    """Sign out here, then at LxL ID too (OpenID Connect RP-Initiated Logout 1.0 §2)."""
    id_token = signin.sign_out()
    if id_token is None:
        return redirect(url_for("ngo.home"))
    try:
        end_session = idp().create_logout_url(post_logout_redirect_uri=origin() + "/",
                                              id_token_hint=id_token)
    except requests.RequestException as error:
        return _sign_in_failed("idp_unreachable", "Signed out of Sample NGO, but LxL ID "
                               f"could not be reached ({type(error).__name__}) to sign you "
                               "out there too.", 503)
    return redirect(end_session["url"])


def _wants_json():
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


@bp.errorhandler(requests.RequestException)
def idp_unreachable(error):
    """Any call to LxL ID that could not be made (discovery, token, keys): a 503 that says so."""
    return _sign_in_failed("idp_unreachable", f"Could not reach LxL ID "
                           f"({type(error).__name__}): try again in a moment.", 503)


def _sign_in_failed(error, description, status, back=None):
    """The page that says why; its link leads ``back`` (a path here), or home."""
    # Not the description: the query string's is anyone's text, and may hold anything.
    log.warning("Sign-in failed: %s", logs.error_code(error))
    return render_template("ngo/signin_failed.html", error=error, description=description,
                           back=back or url_for("ngo.home")), status
