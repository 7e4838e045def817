"""The browser SDK, served from its own folder at the paths CONTRACT.md fixes."""

from pathlib import Path

from flask import send_from_directory

from .. import bp

SDK_FOLDER = Path(__file__).resolve().parents[3] / "sdk"
# A day: sites embed the SDK on every page, and a fix reaches every one of them by the next.
CACHE_SECONDS = 24 * 3600


@bp.route("/static/lxl-id.js")
def sdk_script():
    """The SDK itself (``window.lxl.accounts.id``)."""
    return send_from_directory(SDK_FOLDER, "lxl-id.js", mimetype="text/javascript",
                               max_age=CACHE_SECONDS)


@bp.route("/static/lxl-id.d.ts")
def sdk_types():
    """The SDK's TypeScript declarations, for sites that type-check their code against it."""
    return send_from_directory(SDK_FOLDER, "lxl-id.d.ts", mimetype="text/plain",
                               max_age=CACHE_SECONDS)
