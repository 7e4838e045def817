"""The identity provider site (``id.localhost`` / ``id.littlexlittle.org``)."""

from pathlib import Path

from ..sites import SiteBlueprint

STATIC_FOLDER = Path(__file__).resolve().parents[2] / "static"

bp = SiteBlueprint("idp", __name__, static_folder=STATIC_FOLDER, static_url_path="/static")

from .views import account, auth, frames, logout, oidc  # noqa: E402,F401  (routes register on bp)
