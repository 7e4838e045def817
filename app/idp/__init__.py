"""The identity provider site (``id.localhost`` / ``id.littlexlittle.org``)."""

from ..sites import SiteBlueprint

bp = SiteBlueprint("idp", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static")

from .views import account, auth, dev, frames, logout, oidc, sdk  # noqa: E402,F401  (routes register on bp)
