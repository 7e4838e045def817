"""The failure reasons are one list: the IdP's module, the SDK and the protocol doc agree."""

import re
from pathlib import Path

from app.idp.oidc import reasons

ROOT = Path(__file__).resolve().parents[2]


def test_sdk_knows_exactly_the_shared_reasons():
    sdk = (ROOT / "sdk" / "lxl-id.js").read_text()
    listed = re.search(r"REASONS = Object\.freeze\(\[(.*?)\]\)", sdk, re.S).group(1)
    assert tuple(re.findall(r"'([a-z_]+)'", listed)) == reasons.ALL_REASONS


def test_the_protocol_doc_lists_the_same_reasons():
    doc = (ROOT / "docs" / "silent-sign-in.md").read_text()
    section = doc.split("## Failure reasons", 1)[1].split("##", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", section)) == set(reasons.ALL_REASONS)
