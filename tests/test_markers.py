"""`-m browser` selects exactly the real-browser tests; `-m "not browser"` is the rest."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def collected(marker_expression):
    """The node ids `pytest --collect-only -m <expression>` selects from the whole suite."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", marker_expression],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_browser_marker_selects_exactly_the_browser_tests():
    browser, rest = collected("browser"), collected("not browser")
    assert browser and all(test.startswith("tests/browser/") for test in browser)
    assert rest and not any(test.startswith("tests/browser/") for test in rest)
    assert any(test.startswith("tests/idp/") for test in rest)
