"""One app, two sites, dispatched on Host (CONTRACT.md: Origins and start-up)."""

from tests.helpers import IDP, NGO


def test_each_host_gets_its_own_site(http):
    assert "Sample NGO" in http.get(f"{NGO}/").text
    assert http.get(f"{IDP}/.well-known/openid-configuration").json["issuer"] == IDP


def test_unknown_host_gets_404_naming_the_served_hosts(http):
    response = http.get("/", headers={"Host": "evil.example:5000"})
    assert response.status_code == 404
    assert "id.localhost:5000" in response.text and "ngo.localhost:5000" in response.text


def test_idp_routes_do_not_answer_on_the_ngo_host(http):
    assert http.get(f"{NGO}/oidc/jwks").status_code == 404


def test_every_page_forbids_framing_by_default(http):
    for url in (f"{IDP}/signin", f"{NGO}/", f"{IDP}/.well-known/openid-configuration"):
        assert "frame-ancestors 'none'" in http.get(url).headers["Content-Security-Policy"]


def test_the_idp_serves_the_sdk_and_its_types_with_their_own_media_types(http):
    script = http.get(f"{IDP}/static/lxl-id.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert b"lxl" in script.data
    types = http.get(f"{IDP}/static/lxl-id.d.ts")
    assert types.status_code == 200 and types.mimetype == "text/plain"


def test_each_site_serves_only_its_own_stylesheet(http):
    assert http.get(f"{NGO}/assets/site.css").status_code == 200
    assert http.get(f"{IDP}/static/site.css").status_code == 200
    assert http.get(f"{IDP}/static/ngo/site.css").status_code == 404
    assert http.get(f"{NGO}/assets/lxl-id.js").status_code == 404
