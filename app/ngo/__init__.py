"""The sample NGO site: a real relying party of LxL ID (``ngo.localhost``)."""

from ..sites import SiteBlueprint

bp = SiteBlueprint("ngo", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/assets")

from . import auth, views  # noqa: E402,F401  (routes register on bp)
