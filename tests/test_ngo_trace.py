"""The NGO site's live trace: its files are served, and its advice covers every failure reason.

How the panel draws a sign-in is tested in real Chromium (tests/browser/test_trace.py).
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import render_template

from app.idp.oidc.reasons import ALL_REASONS
from tests.helpers import NGO

TRACE_JS = Path(__file__).resolve().parents[1] / "app" / "ngo" / "static" / "trace.js"

# Evaluate trace.js as a page without the panel would, and print its advice table's keys.
ADVICE_KEYS = """
const vm = require('node:vm');
const context = {document: {getElementById: () => null}};
context.window = context;
vm.runInNewContext(require('node:fs').readFileSync(process.argv[1], 'utf8'), context);
console.log(JSON.stringify(Object.keys(context.ngoTrace.advice)));
"""


def test_the_advice_table_has_plain_words_for_every_failure_reason():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: this test reads trace.js's table by running it")
    done = subprocess.run([node, "-e", ADVICE_KEYS, str(TRACE_JS)], capture_output=True,
                          text=True, timeout=60, check=True)
    assert sorted(json.loads(done.stdout)) == sorted(ALL_REASONS)


def test_the_trace_include_loads_the_sites_own_files_which_are_served(app, http):
    with app.test_request_context(base_url=NGO):
        html = render_template("ngo/_trace.html")
    assert 'id="lxl-trace"' in html
    for path, mimetype in (("/assets/trace.js", "text/javascript"), ("/assets/trace.css", "text/css")):
        assert f'"{path}"' in html
        response = http.get(f"{NGO}{path}")
        assert response.status_code == 200 and response.mimetype == mimetype
    assert "<script>" not in html, "no inline script: the NGO page's CSP allows none unsigned"
