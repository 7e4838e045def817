"""The identity provider site (``id.localhost`` / ``id.littlexlittle.org``)."""

from ..sites import SiteBlueprint
from .oidc.response_modes import NO_STORE

bp = SiteBlueprint("idp", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static")


@bp.after_request
def keep_pages_out_of_caches(response):
    """Mark every IdP page ``no-store``: each shows someone's account or consent, a frame's
    answer about this browser, or a CSRF token.

    A shared computer's back button or a proxy must never show the account page, the consent
    page or a form to the next person.
    """
    if response.mimetype == "text/html":
        for name, value in NO_STORE:
            response.headers.setdefault(name, value)
    return response


from .views import account, auth, dev, forgotten_password, frames, logout, oidc, sdk  # noqa: E402,F401  (routes register on bp)
