"""Behind the proxy: the visitor's address from ``X-Forwarded-For``, and HSTS on https."""

import pytest

from tests.helpers import IDP, sign_in


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


@pytest.mark.parametrize("proto, hsts", [("https", True), ("http", False)])
def test_hsts_on_every_https_response_only(make_app, proto, hsts):
    http = make_app(LXL_PROXY_HOPS=1).test_client()
    for path in ("/healthz", "/signin", "/no-such-page"):
        response = http.get(f"{IDP}{path}", headers={"X-Forwarded-Proto": proto})
        assert ("Strict-Transport-Security" in response.headers) is hsts
        if hsts:
            assert response.headers["Strict-Transport-Security"] == \
                "max-age=63072000; includeSubDomains"
