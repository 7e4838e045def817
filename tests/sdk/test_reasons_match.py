"""The reasons are one list each: the IdP's module, the SDK and the protocol doc agree — the
failure reasons, and the One-Tap card's moment reasons with the failure reason behind each
card not displayed."""

import re
from pathlib import Path

from app.idp.oidc import reasons

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "silent-sign-in.md").read_text()
PART = (ROOT / "sdk" / "lxl-id-ui.js").read_text()
DTS = (ROOT / "sdk" / "lxl-id.d.ts").read_text()

MOMENT_LISTS = {
    "not displayed": reasons.NOT_DISPLAYED_REASONS,
    "skipped": reasons.SKIPPED_REASONS,
    "dismissed": reasons.DISMISSED_REASONS,
}


def quoted(text, quote="'"):
    """Return the snake_case names quoted in ``text``, in order."""
    return tuple(re.findall(rf"{quote}([a-z_]+){quote}", text))


def test_sdk_knows_exactly_the_shared_reasons():
    sdk = (ROOT / "sdk" / "lxl-id.js").read_text()
    listed = re.search(r"REASONS = Object\.freeze\(\[(.*?)\]\)", sdk, re.S).group(1)
    assert quoted(listed) == reasons.ALL_REASONS


def test_the_protocol_doc_lists_the_same_reasons():
    section = DOC.split("## Failure reasons", 1)[1].split("##", 1)[0]
    assert set(quoted(section, "`")) == set(reasons.ALL_REASONS)


def part_list(name):
    """Return the names the part's ``const <name> = /** @type {const} */ ([…]);`` lists."""
    found = re.search(rf"const {name} = /\*\* @type {{const}} \*/ \(\[(.*?)\]\);", PART, re.S)
    assert found, f"sdk/lxl-id-ui.js has no list {name}"
    return quoted(found.group(1))


def test_the_part_knows_exactly_the_moment_reasons():
    assert part_list("NOT_DISPLAYED_REASONS") == reasons.NOT_DISPLAYED_REASONS
    assert part_list("SKIPPED_REASONS") == reasons.SKIPPED_REASONS
    assert part_list("DISMISSED_REASONS") == reasons.DISMISSED_REASONS


def test_the_part_maps_failure_reasons_as_the_idp_does():
    body = re.search(r"const NOT_DISPLAYED_BY_REASON = \{(.*?)\};", PART, re.S).group(1)
    assert dict(re.findall(r"(\w+): '(\w+)'", body)) == reasons.NOT_DISPLAYED_BY_REASON


def test_the_dts_unions_list_the_moment_reasons():
    def union(name):
        return quoted(DTS.split(f"type {name} =", 1)[1].split(";", 1)[0])

    assert union("NotDisplayedReason") == reasons.NOT_DISPLAYED_REASONS
    assert union("SkippedReason") == reasons.SKIPPED_REASONS
    assert union("DismissedReason") == reasons.DISMISSED_REASONS


def moment_section():
    """Return the "Moment reasons" section of docs/silent-sign-in.md."""
    return DOC.split("\n## Moment reasons\n", 1)[1].split("\n## ", 1)[0]


def test_the_protocol_doc_lists_the_same_moment_reasons():
    section = moment_section()
    for kind, names in MOMENT_LISTS.items():
        # "- not displayed (…): `a`, `b`;" — a bullet that may wrap, up to its ; or .
        bullet = re.search(rf"^- {kind} \(.*?\):(.*?)[;.]$", section, re.M | re.S)
        assert bullet, f'the section has no "- {kind} (…):" list'
        assert quoted(bullet.group(1), "`") == names, kind


def test_the_protocol_doc_maps_failure_reasons_as_the_idp_does():
    rows = re.findall(r"^\| (`.*?`) \| `([a-z_]+)` \|$", moment_section(), re.M)
    documented = {failure: why for failures, why in rows for failure in quoted(failures, "`")}
    assert documented == reasons.NOT_DISPLAYED_BY_REASON
