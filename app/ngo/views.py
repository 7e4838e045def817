"""The NGO site's pages; each embeds LxL ID's silent sign-in (templates/ngo/base.html)."""

from flask import current_app, render_template, request, url_for

from . import bp, cookies, signin, supporters, tutorial_page
from .oidc_client import credential_uri


@bp.context_processor
def silent_sign_in():
    """What every page's sign-in snippet and header need."""
    supporter = signin.current_supporter()
    prompt_none_url = None
    if supporter is None and cookies.returning_supporter_hint() \
            and not cookies.prompt_none_tried():
        prompt_none_url = url_for("ngo.prompt_none", next=request.path)
    return {
        "supporter": supporter,
        "idp_origin": current_app.config["LXL_IDP_ORIGIN"],
        "client_id": current_app.config["LXL_NGO_CLIENT_ID"],
        "nonce": cookies.page_nonce(),
        "just_signed_out": signin.take_just_signed_out(),
        "prompt_none_url": prompt_none_url,
    }


@bp.route("/")
def home():
    """The NGO's home page."""
    return render_template("ngo/home.html")


@bp.route("/members")
def members():
    """The supporter's shifts and donations; anyone else is offered sign-in.

    Here the button shows its redirect mode: LxL ID posts the credential to /auth/credential
    (a cross-site form post, no popup), which comes back to this page.
    """
    supporter = signin.current_supporter()
    if supporter is None:
        cookies.remember_form_post_return_to(signin.return_path(request.path))
        return render_template("ngo/members.html", ux_mode="redirect",
                               login_uri=credential_uri())
    return render_template("ngo/members.html", shifts=supporters.shifts_of(supporter["sub"]),
                           donations=supporters.donations_of(supporter["sub"]))


@bp.route("/tutorial")
def tutorial():
    """The tutorial (docs/tutorial.md): from a fresh clone to silent sign-in on your page."""
    return render_template("ngo/tutorial.html", tutorial=tutorial_page.html())
