"""The sample NGO site: a real relying party of LxL ID (``ngo.localhost``)."""

from pathlib import Path

from ..sites import SiteBlueprint

bp = SiteBlueprint("ngo", __name__,
                   static_folder=Path(__file__).resolve().parents[2] / "static" / "ngo",
                   static_url_path="/assets")

from . import views  # noqa: E402,F401  (routes register on bp)
