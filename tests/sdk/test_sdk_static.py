"""Run the SDK's Node unit tests on its source and on what the IdP serves; check that what is
served is exactly what the sources build to (sdk/build.mjs); hold the served core to its size
budget."""
import gzip
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import IDP

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "lxl-id.js"
BUTTON_PART = ROOT / "sdk" / "lxl-id-ui.js"
BUDGET = 5120  # bytes of `gzip -9` output of the served (minified) core


def run_node_tests(sdk_file=None, part_file=None):
    """Run `node --test` on tests/sdk/*.test.mjs against ``sdk_file`` and ``part_file``
    (default: the sources)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the SDK unit tests (tests/sdk/*.test.mjs) need Node 18+")
    # Files, not the directory: Node 18 and 20 search a directory argument for tests, Node 21
    # and later take it as a glob naming the directory itself and fail (nodejs/node#50219).
    files = sorted(str(f.relative_to(ROOT)) for f in (ROOT / "tests" / "sdk").glob("*.test.mjs"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("LXL_SDK_FILE", "LXL_SDK_UI_FILE")}
    if sdk_file is not None:
        env["LXL_SDK_FILE"] = str(sdk_file)  # read by tests/sdk/harness.mjs
    if part_file is not None:
        env["LXL_SDK_UI_FILE"] = str(part_file)  # read by tests/sdk/button-harness.mjs
    done = subprocess.run(
        [node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )
    summary = "\n".join(
        line for line in done.stdout.splitlines() if line.startswith(("# tests", "# pass", "# fail"))
    )
    print(summary)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def served_sdk(http, name="lxl-id.js"):
    """Return an SDK file's bytes as the IdP serves them at /static/<name>."""
    response = http.get(f"{IDP}/static/{name}")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    return response.data


def gzip_size(data):
    """Count bytes as `curl -s <IdP>/static/lxl-id.js | gzip -9c | wc -c` does."""
    out = io.BytesIO()
    # No file name and no time in the header, as gzip writes for a pipe.
    with gzip.GzipFile("", "wb", 9, out, mtime=0) as gz:
        gz.write(data)
    return len(out.getvalue())


def test_sdk_node_unit_tests():
    """Run `node --test` on tests/sdk/*.test.mjs (the real SDK source in a fake DOM)."""
    run_node_tests()


def test_served_sdk_passes_the_same_node_unit_tests(http, tmp_path):
    """The minified SDK the IdP serves behaves as its source: the same tests, the same results."""
    served = tmp_path / "lxl-id.served.js"
    served.write_bytes(served_sdk(http))
    served_part = tmp_path / "lxl-id-ui.served.js"
    served_part.write_bytes(served_sdk(http, BUTTON_PART.name))
    assert served.stat().st_size < SDK.stat().st_size, "the IdP serves the SDK minified"
    assert served_part.stat().st_size < BUTTON_PART.stat().st_size
    run_node_tests(served, served_part)


def test_served_sdk_is_exactly_what_the_sources_build_to(http, tmp_path):
    """`node sdk/build.mjs` into a temporary folder gives the served bytes, file for file."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: sdk/build.mjs needs Node 18+")
    if not (ROOT / "node_modules" / "terser").exists():
        pytest.skip("terser is not installed: run `npm install` (bin/test does)")
    build = tmp_path / "build"
    done = subprocess.run([node, "sdk/build.mjs", str(build)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = ["lxl-id-ui.js", "lxl-id.js"] if BUTTON_PART.exists() else ["lxl-id.js"]
    assert sorted(f.name for f in build.iterdir()) == expected
    for name in expected:
        assert served_sdk(http, name) == (build / name).read_bytes(), (
            f"/static/{name} is not what sdk/{name} builds to: run `npm run build:sdk` and commit"
            " sdk/dist/")


def test_sdk_size_budget(http):
    """Keep gzip -9 of the core as the IdP serves it within 5 KB; report the button part's."""
    served = served_sdk(http)
    size = gzip_size(served)
    print(f"/static/lxl-id.js: {len(served)} bytes served, {size} bytes gzip -9 (budget {BUDGET});"
          f" source {SDK.stat().st_size} bytes")
    if BUTTON_PART.exists():
        part = served_sdk(http, BUTTON_PART.name)
        print(f"/static/{BUTTON_PART.name} (loaded on first renderButton or prompt): {len(part)} bytes"
              f" served, {gzip_size(part)} bytes gzip -9; source {BUTTON_PART.stat().st_size} bytes")
    assert size <= BUDGET, f"the served lxl-id.js is {size} bytes gzip -9, over the {BUDGET}-byte budget"


def test_sdk_type_checks_clean():
    """`tsc --checkJs --noEmit --strict` over the SDK, its .d.ts and a consumer's view of it."""
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("TypeScript is not installed: run `npm install` (bin/test does)")
    done = subprocess.run([str(tsc), "-p", "tsconfig.sdk.json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_type_check_covers_every_sdk_source():
    """tsc skips a .js that has a .d.ts of the same name unless listed in "files": list it."""
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("TypeScript is not installed: run `npm install` (bin/test does)")
    done = subprocess.run([str(tsc), "-p", "tsconfig.sdk.json", "--listFilesOnly"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    checked = {Path(line) for line in done.stdout.splitlines()}
    for source in (ROOT / "sdk").glob("*.js"):
        assert source in checked, f"tsconfig.sdk.json does not type-check {source.name}"


def test_sdk_files_are_cached_for_a_day_and_revalidated_by_etag(http):
    """Each built file has an ETag of its bytes; a matching If-None-Match gets 304, no body."""
    names = ["lxl-id.js"] + ([BUTTON_PART.name] if BUTTON_PART.exists() else [])
    for name in names:
        response = http.get(f"{IDP}/static/{name}")
        assert response.headers["Cache-Control"] == "public, max-age=86400"
        etag = response.headers["ETag"]
        again = http.get(f"{IDP}/static/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
