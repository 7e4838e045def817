"""The browser SDK, served from its own folder at the paths CONTRACT.md fixes.

``sdk/lxl-id.js`` is written to be read: comments, JSDoc types for ``tsc --checkJs``. What
browsers download is that source minified by rjsmin (comments and layout go, every name and
every behaviour stays), made once when the IdP starts and kept in memory; restart the app to
serve an edited source. The size budget is held on these served bytes
(tests/sdk/test_sdk_static.py).
"""

import hashlib
import io
from pathlib import Path
from typing import NamedTuple

import rjsmin
from flask import current_app, send_file, send_from_directory

from .. import bp

SDK_FOLDER = Path(__file__).resolve().parents[3] / "sdk"
SDK_SOURCE = SDK_FOLDER / "lxl-id.js"
# A day: sites embed the SDK on every page, and a fix reaches every one of them by the next.
CACHE_SECONDS = 24 * 3600
_EXTENSION = "lxl_sdk"


class SdkBuild(NamedTuple):
    """The SDK as served: the minified script, its ETag and its source's modification time."""

    script: bytes
    etag: str
    modified: float


def build_sdk(source=SDK_SOURCE):
    """Minify the SDK's source, keeping its ``/*! … */`` banner that says where the source is."""
    script = rjsmin.jsmin(source.read_text(encoding="utf-8"), keep_bang_comments=True)
    data = script.encode("utf-8")
    return SdkBuild(data, hashlib.sha256(data).hexdigest()[:32], source.stat().st_mtime)


@bp.record_once
def _build_at_start_up(state):
    state.app.extensions[_EXTENSION] = build_sdk()


@bp.route("/static/lxl-id.js")
def sdk_script():
    """The SDK itself (``window.lxl.accounts.id``), minified."""
    build = current_app.extensions[_EXTENSION]
    return send_file(io.BytesIO(build.script), mimetype="text/javascript",
                     download_name=SDK_SOURCE.name, etag=build.etag,
                     last_modified=build.modified, max_age=CACHE_SECONDS)


@bp.route("/static/lxl-id.d.ts")
def sdk_types():
    """The SDK's TypeScript declarations, for sites that type-check their code against it."""
    return send_from_directory(SDK_FOLDER, "lxl-id.d.ts", mimetype="text/plain",
                               max_age=CACHE_SECONDS)
