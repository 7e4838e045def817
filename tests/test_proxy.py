"""Behind the proxy: the visitor's address from ``X-Forwarded-For``, and HSTS on https."""

import pytest

from app import create_app
from tests.conftest import TEST_CONFIG
from tests.helpers import IDP, sign_in

# An address no proxy of these tests has.
OUTSIDER = "198.51.100.7"


def failed_sign_in(http, forwarded_for):
    """Sign in with a wrong password, as forwarded by the proxy for ``forwarded_for``."""
    http.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return sign_in(http, email="grace@example.org", password="wrong-wrong-wrong")


def test_rate_limits_count_the_visitor_the_proxy_names(make_app):
    app = make_app(LXL_PROXY_HOPS=1,
                   LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="2 per hour")
    http = app.test_client()
    # A visitor's own X-Forwarded-For entries come first; the proxy appends the address
    # it saw, and only that one is believed.
    for forged in ("203.0.113.1", "203.0.113.2"):
        assert failed_sign_in(http, f"{forged}, 192.0.2.1").status_code == 200
    assert failed_sign_in(http, "203.0.113.3, 192.0.2.1").status_code == 429
    assert failed_sign_in(http, "192.0.2.2").status_code == 200  # another visitor


def test_without_a_proxy_forwarded_addresses_are_not_believed(make_app):
    app = make_app(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="2 per hour")
    http = app.test_client()
    for visitor in ("192.0.2.1", "192.0.2.2"):
        assert failed_sign_in(http, visitor).status_code == 200
    assert failed_sign_in(http, "192.0.2.3").status_code == 429  # all one address


def test_forwarded_headers_from_a_peer_that_is_no_trusted_proxy_are_ignored(make_app):
    app = make_app(LXL_PROXY_HOPS=1,
                   LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="2 per hour")
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = OUTSIDER  # reached the instance around the proxy
    for forged in ("192.0.2.1", "192.0.2.2"):
        assert failed_sign_in(http, forged).status_code == 200
    assert failed_sign_in(http, "192.0.2.3").status_code == 429  # all counted as the peer
    response = http.get(f"{IDP}/signin", headers={"X-Forwarded-Proto": "https",
                                                  "X-Forwarded-Host": "evil.example"})
    # Served as the host it reached (believed, the forged host would be a 404) over http.
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_a_proxy_on_another_machine_is_believed_once_named(make_app):
    app = make_app(LXL_PROXY_HOPS=1, LXL_TRUSTED_PROXIES="10.0.0.5, 10.0.1.0/24",
                   LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="2 per hour")
    http = app.test_client()
    for proxy in ("10.0.0.5", "10.0.1.9"):
        http.environ_base["REMOTE_ADDR"] = proxy
        assert failed_sign_in(http, "192.0.2.1").status_code == 200
    assert failed_sign_in(http, "192.0.2.1").status_code == 429
    assert failed_sign_in(http, "192.0.2.2").status_code == 200  # another visitor
    # The loopback default no longer applies: a local peer is itself the visitor.
    http.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    for forged in ("192.0.2.3", "192.0.2.4"):
        assert failed_sign_in(http, forged).status_code == 200
    assert failed_sign_in(http, "192.0.2.5").status_code == 429


@pytest.mark.parametrize("setting, says", [
    ("proxy.example", "LXL_TRUSTED_PROXIES='proxy.example'.*List the IP addresses"),
    ("10.0.0.5/24", "host bits set"),
    (" , ", "LXL_TRUSTED_PROXIES is empty.*LXL_PROXY_HOPS=0"),
])
def test_a_bad_trusted_proxies_setting_is_refused_saying_what_to_set(setting, says):
    with pytest.raises(RuntimeError, match=says):
        create_app({**TEST_CONFIG, "LXL_PROXY_HOPS": 1, "LXL_TRUSTED_PROXIES": setting})


@pytest.mark.parametrize("proto, hsts", [("https", True), ("http", False)])
def test_hsts_on_every_https_response_only(make_app, proto, hsts):
    http = make_app(LXL_PROXY_HOPS=1).test_client()
    for path in ("/healthz", "/signin", "/no-such-page"):
        response = http.get(f"{IDP}{path}", headers={"X-Forwarded-Proto": proto})
        assert ("Strict-Transport-Security" in response.headers) is hsts
        if hsts:
            assert response.headers["Strict-Transport-Security"] == \
                "max-age=63072000; includeSubDomains"
