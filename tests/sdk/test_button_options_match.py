"""The button's options are one list: the IdP's ``button_frame`` (CHOICES, the width range,
HEIGHTS_PX), the SDK's part that checks them before the IdP sees them, and ``lxl-id.d.ts``
that documents them to sites agree (like test_reasons_match.py for the failure reasons)."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.idp.oidc import button_frame
from tests.helpers import CLIENT_ID, IDP, NGO

ROOT = Path(__file__).resolve().parents[2]
DTS = (ROOT / "sdk" / "lxl-id.d.ts").read_text()
PART = (ROOT / "sdk" / "lxl-id-ui.js").read_text()


def documented_choices():
    """Return each option's values as GsiButtonConfiguration in lxl-id.d.ts lists them."""
    interface = DTS.split("interface GsiButtonConfiguration {", 1)[1].split("\n  }", 1)[0]
    return {name: tuple(re.findall(r"'([a-z_]+)'", union)) for name, union in
            re.findall(r"^\s+(\w+)\?: ('[^;]*);$", interface, re.M)}


def test_the_dts_lists_exactly_the_idps_choices():
    assert documented_choices() == button_frame.CHOICES


def test_the_dts_and_the_part_have_the_idps_width_range_and_heights():
    interface = DTS.split("interface GsiButtonConfiguration {", 1)[1]
    low, high = button_frame.MIN_WIDTH, button_frame.MAX_WIDTH
    assert f"width in px, {low}–{high}." in interface
    assert f"const WIDTH_PX = {{min: {low}, max: {high}}};" in PART
    heights = button_frame.HEIGHTS_PX
    assert "const BUTTON_HEIGHT_PX = {" + ", ".join(
        f"{size}: {px}" for size, px in heights.items()) + "};" in PART
    assert "Height " + ", ".join(str(px) for px in list(heights.values())[:-1]) + \
        f" or {list(heights.values())[-1]} px." in interface


def render_in_the_part(cases):
    """Render each options object with the real part (tests/sdk/button-harness.mjs); return
    for each the TypeError messages it reported (none: accepted)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the part runs in Node 18+")
    script = """
        import {loadPart} from './tests/sdk/button-harness.mjs';
        const cases = JSON.parse(process.argv[1]);
        console.log(JSON.stringify(cases.map(options => {
          const env = loadPart();
          env.render(options);
          return env.errors.map(error => error.message);
        })));
    """
    done = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(cases)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_part_accepts_every_idp_choice_and_refuses_the_rest():
    accepted = [{name: value} for name, values in button_frame.CHOICES.items()
                for value in values]
    accepted += [{"width": button_frame.MIN_WIDTH}, {"width": button_frame.MAX_WIDTH}]
    refused = [{"width": button_frame.MIN_WIDTH - 1}, {"width": button_frame.MAX_WIDTH + 1}]
    refused += [{name: "unlisted"} for name in button_frame.CHOICES]
    results = render_in_the_part(accepted + refused)
    assert results[:len(accepted)] == [[]] * len(accepted)
    for options, errors in zip(refused, results[len(accepted):]):
        [name] = options
        assert len(errors) == 1 and errors[0].startswith(f"lxl-id: renderButton({{{name}}})")


@pytest.mark.parametrize("name, value", [
    *((name, value) for name, values in documented_choices().items() for value in values),
    ("width", button_frame.MIN_WIDTH), ("width", button_frame.MAX_WIDTH)])
def test_the_frame_draws_every_documented_value(http, name, value):
    query = urlencode({"client_id": CLIENT_ID, "origin": NGO, name: value})
    assert http.get(f"{IDP}/oidc/iframe/button?{query}").status_code == 200
