"""Run the SDK's Node unit tests and hold sdk/lxl-id.js to its size budget."""
import gzip
import io
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "lxl-id.js"
BUDGET = 5120  # bytes of `gzip -9` output; comments count


def test_sdk_node_unit_tests():
    """Run `node --test` on tests/sdk/*.test.mjs (the real SDK in a fake DOM); require success."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the SDK unit tests (tests/sdk/*.test.mjs) need Node 18+")
    # Files, not the directory: Node 18 and 20 search a directory argument for tests, Node 21
    # and later take it as a glob naming the directory itself and fail (nodejs/node#50219).
    files = sorted(str(f.relative_to(ROOT)) for f in (ROOT / "tests" / "sdk").glob("*.test.mjs"))
    done = subprocess.run(
        [node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    summary = "\n".join(
        line for line in done.stdout.splitlines() if line.startswith(("# tests", "# pass", "# fail"))
    )
    print(summary)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_sdk_size_budget():
    """Keep gzip -9 of sdk/lxl-id.js within 5 KB."""
    out = io.BytesIO()
    # As `gzip -9c sdk/lxl-id.js | wc -c` counts: the header carries the file name.
    with gzip.GzipFile(SDK.name, "wb", 9, out, mtime=0) as gz:
        gz.write(SDK.read_bytes())
    size = len(out.getvalue())
    print(f"sdk/lxl-id.js: {SDK.stat().st_size} bytes, {size} bytes gzip -9 (budget {BUDGET})")
    assert size <= BUDGET, f"lxl-id.js is {size} bytes gzip -9, over the {BUDGET}-byte budget"


def test_sdk_type_checks_clean():
    """`tsc --checkJs --noEmit --strict` over the SDK, its .d.ts and a consumer's view of it."""
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("TypeScript is not installed: run `npm install` (bin/test does)")
    done = subprocess.run([str(tsc), "-p", "tsconfig.sdk.json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
