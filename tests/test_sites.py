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
