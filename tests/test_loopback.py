"""Plain HTTP on loopback names is one loudly named setting of one app, never process-wide."""

import os
import socket

import pytest

from app import create_app
from tests.helpers import IDP, NGO

HTTPS_IDP, HTTPS_NGO = "https://id.example.test", "https://ngo.example.test"


def make_app(tmp_path, name="test", **config):
    """Create an app (no tables: these tests never get past the transport check).

    Away from loopback the app needs somewhere to send mail; nothing is sent here.
    """
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}.db",
                       "LXL_SMTP_URL": "smtp://mail.example.test:587",
                       "LXL_MAIL_FROM": "id@example.test", **config})


def token_request(app, origin):
    """POST a token request to ``origin`` over plain HTTP; return the response."""
    url = origin.replace("https://", "http://") + "/oidc/token"
    return app.test_client().post(url, data={"grant_type": "authorization_code",
                                              "client_id": "ngo-demo", "code": "x"})


def test_create_app_changes_nothing_process_wide(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)
    make_app(tmp_path, LXL_IDP_ORIGIN=IDP, LXL_NGO_ORIGIN=NGO)
    assert "AUTHLIB_INSECURE_TRANSPORT" not in os.environ
    assert socket.getaddrinfo.__module__ == "socket", "name resolution was patched"


@pytest.mark.parametrize("idp, ngo, default", [
    (IDP, NGO, True),
    (HTTPS_IDP, HTTPS_NGO, False),
    (IDP, HTTPS_NGO, False),
])
def test_insecure_loopback_http_is_on_by_default_only_when_both_origins_are_loopback(
        tmp_path, idp, ngo, default):
    app = make_app(tmp_path, LXL_IDP_ORIGIN=idp, LXL_NGO_ORIGIN=ngo)
    assert app.config["LXL_INSECURE_LOOPBACK_HTTP"] is default


def test_insecure_loopback_http_is_refused_for_an_origin_that_is_not_loopback(tmp_path):
    with pytest.raises(RuntimeError, match="LXL_INSECURE_LOOPBACK_HTTP is on, but the idp "
                                           "origin 'http://id.example.test' is not a loopback"):
        make_app(tmp_path, LXL_IDP_ORIGIN="http://id.example.test", LXL_NGO_ORIGIN=NGO,
                 LXL_INSECURE_LOOPBACK_HTTP=True)


@pytest.mark.parametrize("value, setting", [("1", True), ("0", False), (None, True)])
def test_insecure_loopback_http_is_read_from_the_environment(
        tmp_path, monkeypatch, value, setting):
    if value is None:
        monkeypatch.delenv("LXL_INSECURE_LOOPBACK_HTTP", raising=False)
    else:
        monkeypatch.setenv("LXL_INSECURE_LOOPBACK_HTTP", value)
    app = make_app(tmp_path, LXL_IDP_ORIGIN=IDP, LXL_NGO_ORIGIN=NGO)
    assert app.config["LXL_INSECURE_LOOPBACK_HTTP"] is setting


def test_an_unclear_environment_value_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("LXL_INSECURE_LOOPBACK_HTTP", "maybe")
    with pytest.raises(RuntimeError, match="LXL_INSECURE_LOOPBACK_HTTP='maybe'.*1 or 0"):
        make_app(tmp_path, LXL_IDP_ORIGIN=IDP, LXL_NGO_ORIGIN=NGO)


def test_with_the_setting_off_the_token_endpoint_refuses_plain_http_on_loopback(tmp_path):
    app = make_app(tmp_path, LXL_IDP_ORIGIN=IDP, LXL_NGO_ORIGIN=NGO,
                   LXL_INSECURE_LOOPBACK_HTTP=False)
    response = token_request(app, IDP)
    assert response.status_code == 400 and response.json["error"] == "insecure_transport"


def test_an_https_deployment_refuses_plain_http_even_beside_a_local_app(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)
    make_app(tmp_path, "local", LXL_IDP_ORIGIN=IDP, LXL_NGO_ORIGIN=NGO)  # one process, two apps
    app = make_app(tmp_path, LXL_IDP_ORIGIN=HTTPS_IDP, LXL_NGO_ORIGIN=HTTPS_NGO)
    response = token_request(app, HTTPS_IDP)
    assert response.status_code == 400, "an OAuth error, not a server error"
    assert response.json["error"] == "insecure_transport"
    assert "https" in response.json["error_description"]
