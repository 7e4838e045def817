"""The browser SDK, served from its own folder at the paths CONTRACT.md fixes.

``sdk/lxl-id.js`` (the core: silent sign-in) and ``sdk/lxl-id-ui.js`` (the button, its
popup and redirect mode, which the core loads from here on first use) are written to be read.
What browsers download is their minified build in ``sdk/dist/``, made by ``npm run build:sdk``
(``sdk/build.mjs``, terser) and committed, so the IdP runs without Node. The files are read
once when the IdP starts and kept in memory; restart the app to serve a new build.
tests/sdk/test_sdk_static.py checks that the served files are exactly what the sources build
to, and holds the core to its size budget.
"""

import hashlib
import io
from pathlib import Path
from typing import NamedTuple

from flask import abort, current_app, send_file, send_from_directory

from .. import bp

SDK_FOLDER = Path(__file__).resolve().parents[3] / "sdk"
BUILD_FOLDER = SDK_FOLDER / "dist"
CORE = "lxl-id.js"
UI_PART = "lxl-id-ui.js"
# A day: sites embed the SDK on every page, and a fix reaches every one of them by the next.
CACHE_SECONDS = 24 * 3600
_EXTENSION = "lxl_sdk"


class SdkFile(NamedTuple):
    """One built SDK file as served: its bytes, their ETag and the build's modification time."""

    script: bytes
    etag: str
    modified: float


def load_build(folder=BUILD_FOLDER):
    """Read the built SDK files that exist in ``folder``, by name."""
    files = {}
    for name in (CORE, UI_PART):
        path = folder / name
        if path.exists():
            data = path.read_bytes()
            files[name] = SdkFile(data, hashlib.sha256(data).hexdigest()[:32], path.stat().st_mtime)
    if CORE not in files:
        raise RuntimeError(f"{folder / CORE} is missing: build the SDK with `npm run build:sdk`")
    return files


@bp.record_once
def _load_at_start_up(state):
    state.app.extensions[_EXTENSION] = load_build()


def _serve(name):
    built = current_app.extensions[_EXTENSION].get(name)
    if built is None:
        abort(404)
    return send_file(io.BytesIO(built.script), mimetype="text/javascript", download_name=name,
                     etag=built.etag, last_modified=built.modified, max_age=CACHE_SECONDS)


@bp.route("/static/lxl-id.js")
def sdk_script():
    """The SDK's core (``window.lxl.accounts.id``), minified."""
    return _serve(CORE)


@bp.route("/static/lxl-id-ui.js")
def sdk_ui_script():
    """The UI part (the button, its popup and redirect mode), which the core loads on first use, minified."""
    return _serve(UI_PART)


@bp.route("/static/lxl-id.d.ts")
def sdk_types():
    """The SDK's TypeScript declarations, for sites that type-check their code against it."""
    return send_from_directory(SDK_FOLDER, "lxl-id.d.ts", mimetype="text/plain",
                               max_age=CACHE_SECONDS)
