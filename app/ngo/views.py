"""The NGO site's pages: home, sign-in through LxL ID, sign-out."""

from authlib.integrations.base_client import OAuthError
from flask import redirect, render_template, request, session, url_for

from .. import sessions
from ..config import NGO_CALLBACK_PATH
from . import bp, tutorial_page
from .oidc_client import callback_uri, idp


@bp.route("/")
def home():
    """The NGO's home page, greeting a signed-in supporter by name."""
    return render_template("ngo/home.html", user=session.get("user"))


@bp.route("/tutorial")
def tutorial():
    """The tutorial (docs/tutorial.md): from a fresh clone to silent sign-in on your page."""
    return render_template("ngo/tutorial.html", tutorial=tutorial_page.html())


@bp.route("/login")
def login():
    """Start the authorization code flow with PKCE at LxL ID."""
    return idp().authorize_redirect(callback_uri())


@bp.route(NGO_CALLBACK_PATH)
def callback():
    """Exchange the code for tokens; Authlib checks the ID token against the IdP's JWKS."""
    if error := request.args.get("error"):
        return render_template("ngo/signin_failed.html", error=error,
                               description=request.args.get("error_description", "")), 400
    try:
        token = idp().authorize_access_token()
    except OAuthError as error:
        return render_template("ngo/signin_failed.html", error=error.error,
                               description=error.description or ""), 400
    claims = token["userinfo"]
    session.clear()
    session["user"] = {"sub": claims["sub"], "name": claims.get("name"),
                       "email": claims.get("email")}
    sessions.keep_on_server()
    return redirect(url_for("ngo.home"))


@bp.route("/logout", methods=["POST"])
def logout():
    """Forget the supporter on this site (the IdP session is the IdP's business)."""
    session.clear()
    return redirect(url_for("ngo.home"))
