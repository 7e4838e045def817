"""Run the SDK's Node unit tests on its source and on what the IdP serves; hold the served SDK
to its size budget."""
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
BUDGET = 5120  # bytes of `gzip -9` output of the served (minified) script


def run_node_tests(sdk_file=None):
    """Run `node --test` on tests/sdk/*.test.mjs against ``sdk_file`` (default: the source)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the SDK unit tests (tests/sdk/*.test.mjs) need Node 18+")
    # Files, not the directory: Node 18 and 20 search a directory argument for tests, Node 21
    # and later take it as a glob naming the directory itself and fail (nodejs/node#50219).
    files = sorted(str(f.relative_to(ROOT)) for f in (ROOT / "tests" / "sdk").glob("*.test.mjs"))
    env = {k: v for k, v in os.environ.items() if k != "LXL_SDK_FILE"}
    if sdk_file is not None:
        env["LXL_SDK_FILE"] = str(sdk_file)  # read by tests/sdk/harness.mjs
    done = subprocess.run(
        [node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )
    summary = "\n".join(
        line for line in done.stdout.splitlines() if line.startswith(("# tests", "# pass", "# fail"))
    )
    print(summary)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def served_sdk(http):
    """Return the SDK's bytes as the IdP serves them at /static/lxl-id.js."""
    response = http.get(f"{IDP}/static/lxl-id.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    return response.data


def test_sdk_node_unit_tests():
    """Run `node --test` on tests/sdk/*.test.mjs (the real SDK source in a fake DOM)."""
    run_node_tests()


def test_served_sdk_passes_the_same_node_unit_tests(http, tmp_path):
    """The minified SDK the IdP serves behaves as its source: the same tests, the same results."""
    served = tmp_path / "lxl-id.served.js"
    served.write_bytes(served_sdk(http))
    assert served.stat().st_size < SDK.stat().st_size, "the IdP serves the SDK minified"
    run_node_tests(served)


def test_sdk_size_budget(http):
    """Keep gzip -9 of the SDK as the IdP serves it within 5 KB."""
    served = served_sdk(http)
    out = io.BytesIO()
    # As `curl -s <IdP>/static/lxl-id.js | gzip -9c | wc -c` counts: no file name in the header.
    with gzip.GzipFile("", "wb", 9, out, mtime=0) as gz:
        gz.write(served)
    size = len(out.getvalue())
    print(f"/static/lxl-id.js: {len(served)} bytes served, {size} bytes gzip -9 (budget {BUDGET});"
          f" source {SDK.stat().st_size} bytes")
    assert size <= BUDGET, f"the served lxl-id.js is {size} bytes gzip -9, over the {BUDGET}-byte budget"


def test_sdk_type_checks_clean():
    """`tsc --checkJs --noEmit --strict` over the SDK, its .d.ts and a consumer's view of it."""
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("TypeScript is not installed: run `npm install` (bin/test does)")
    done = subprocess.run([str(tsc), "-p", "tsconfig.sdk.json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
