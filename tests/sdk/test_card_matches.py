"""The One-Tap card's size is one fact: ``app/idp/oidc/card_frame.py`` draws the card at
CARD_WIDTH_PX × CARD_HEIGHT_PX, and the SDK's part sizes its frame with the same two numbers
(like test_button_options_match.py for the button). A frame sized by anything else could
crop the card, or say something about who is signed in."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CARD_FRAME = ROOT / "app" / "idp" / "oidc" / "card_frame.py"
PART = ROOT / "sdk" / "lxl-id-ui.js"
NAMES = ("CARD_WIDTH_PX", "CARD_HEIGHT_PX")


def constants(path, pattern):
    """Return each of NAMES as ``pattern`` (with {name}) finds its integer in ``path``."""
    assert path.exists(), (
        f"{path.relative_to(ROOT)} is missing: the card frame's module defines the card's size"
        " (issue 11), and this test holds the SDK's part to it")
    text = path.read_text()
    found = {}
    for name in NAMES:
        match = re.search(pattern.format(name=name), text, re.M)
        assert match, f"{path.relative_to(ROOT)} defines no {name}"
        found[name] = int(match.group(1))
    return found


def test_the_part_sizes_the_card_frame_as_the_idp_draws_the_card():
    idp = constants(CARD_FRAME, r"^{name}\s*(?::\s*\w+\s*)?=\s*(\d+)\s*(?:#.*)?$")
    part = constants(PART, r"^\s*const {name} = (\d+);")
    assert part == idp
