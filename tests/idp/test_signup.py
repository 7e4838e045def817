"""Sign-up by mail: the same answer for a new and a taken address, then a single-use link."""

import base64
import json
import logging
import re
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from ipaddress import ip_address

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask_migrate import upgrade

from app import create_app, logs
from app.extensions import db
from app.idp import accounts, mail, signups
from app.idp.models import PendingSignup, User
from tests.helpers import (
    IDP, NGO, PASSWORD, authorize_url, csrf_token, finish_sign_up, get_tokens, outbox, sign_in,
    sign_up, userinfo,
)

NEW, TAKEN = "kjo@example.org", "ada@example.org"  # the same length, so the pages are too


def normalized(response, address):
    """Return a response's status, headers and body with per-request random values masked."""
    def mask(text):
        text = text.replace(address, "ADDRESS")
        text = re.sub(r"nonce-[\w-]+", "nonce-X", text)
        return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "csrf_token", text)
    def mask_header(name, value):
        if name == logs.REQUEST_ID_HEADER:  # a new id for every request (app/logs.py)
            return "X"
        return re.sub(r"^lxl_session=[^;]*", "lxl_session=X", mask(value))
    headers = sorted((name, mask_header(name, value)) for name, value in response.headers.items())
    return response.status_code, headers, mask(response.text)


def id_token_claims(tokens):
    payload = tokens["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_new_and_a_taken_address_get_the_same_answer(app):
    new, taken = sign_up(app.test_client(), NEW), sign_up(app.test_client(), TAKEN)
    assert "Check your inbox" in new.text and NEW in new.text
    assert normalized(new, NEW) == normalized(taken, TAKEN)


def test_a_taken_address_costs_a_password_hash_too(http, monkeypatch):
    hashed = []
    monkeypatch.setattr(accounts, "hash_password", lambda p: hashed.append(p) or "not-a-hash")
    sign_up(http, NEW, password="first-password")
    sign_up(http, TAKEN, password="second-password")
    assert hashed == ["first-password", "second-password"]


def test_a_new_address_is_mailed_a_link_and_has_no_account_yet(app, http):
    sign_up(http, NEW)
    [message] = outbox(http)
    assert message["to"] == NEW and message["subject"] == "Finish creating your LxL ID"
    [link] = message["links"]
    assert link.startswith(f"{IDP}/signup/confirm?token=") and link in message["text"]
    assert "Katherine" not in message["text"]  # the typed name is not mailed to the address
    with app.app_context():
        assert User.by_email(NEW) is None
    assert sign_in(http, email=NEW, password="a-long-enough-password").status_code == 200


def test_a_taken_address_tells_its_owner_and_changes_nothing(app, http):
    sign_up(http, TAKEN.upper(), password="an-attackers-password")
    [message] = outbox(http)
    assert message["to"] == TAKEN and "tried to create" in message["text"]
    assert message["links"] == [f"{IDP}/signin"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PendingSignup)) == 0
    assert sign_in(http, email=TAKEN, password=PASSWORD).status_code == 302


def test_the_link_signs_in_and_verifies_the_address(http):
    next_url = authorize_url().removeprefix(IDP)
    sign_up(http, NEW, next_url=next_url)
    response = finish_sign_up(http, outbox(http)[-1]["links"][0])
    assert response.status_code == 302 and response.headers["Location"] == next_url
    tokens = get_tokens(http).json
    claims = id_token_claims(tokens)
    assert claims["email"] == NEW and claims["email_verified"] is True
    info = userinfo(http, tokens["access_token"]).json
    assert info["email"] == NEW and info["email_verified"] is True


def test_following_the_link_only_shows_a_button(app, http):
    sign_up(http, NEW)
    link = outbox(http)[-1]["links"][0]
    for _ in range(2):  # a mail scanner fetching the link first spends nothing
        page = http.get(link)
        assert page.status_code == 200 and "Create my account" in page.text
        assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert User.by_email(NEW) is None
    assert finish_sign_up(http, link).status_code == 302


def test_a_link_works_once(app, http):
    sign_up(http, NEW)
    link = outbox(http)[-1]["links"][0]
    assert finish_sign_up(http, link).status_code == 302
    again = app.test_client().get(link)
    assert again.status_code == 410 and "already been used" in again.text


def test_an_expired_link_fails(app, http):
    sign_up(http, NEW)
    link = outbox(http)[-1]["links"][0]
    page = http.get(link)
    with app.app_context():
        db.session.execute(db.update(PendingSignup).values(
            expires_at=PendingSignup.expires_at - signups.LINK_LIFETIME_SECONDS - 1))
        db.session.commit()
    assert http.get(link).status_code == 410
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    pressed = http.post(f"{IDP}/signup/confirm",
                        data={"csrf_token": csrf_token(page.text), "token": token})
    assert pressed.status_code == 410 and "expired" in pressed.text
    with app.app_context():
        assert User.by_email(NEW) is None


@pytest.mark.parametrize("query", ["?token=not-a-token-we-sent", "", "?token=" + "x" * 5000])
def test_an_unknown_link_fails_clearly(http, query):
    response = http.get(f"{IDP}/signup/confirm{query}")
    assert response.status_code == 410 and "not one we sent" in response.text


def test_an_address_taken_in_the_meantime_gets_no_second_account(app, http):
    sign_up(http, NEW)
    with app.app_context():
        accounts.create_user(NEW, "Someone Else", "another-long-password")
    response = finish_sign_up(http, outbox(http)[-1]["links"][0])
    assert response.status_code == 409 and "already have an LxL ID" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)
                                 .filter_by(email=NEW)) == 1
        assert User.by_email(NEW).name == "Someone Else"
        assert db.session.scalar(db.select(db.func.count()).select_from(PendingSignup)) == 0


def test_one_link_pressed_twice_at_once_makes_one_account(app):
    browsers = [app.test_client(), app.test_client()]
    sign_up(browsers[0], NEW)
    link = outbox(browsers[0])[-1]["links"][0]
    pages = [browser.get(link).text for browser in browsers]
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', pages[0]).group(1)
    barrier, statuses = threading.Barrier(2), []

    def press(browser, page):
        barrier.wait()
        statuses.append(browser.post(f"{IDP}/signup/confirm", data={
            "csrf_token": csrf_token(page), "token": token}).status_code)

    threads = [threading.Thread(target=press, args=pair) for pair in zip(browsers, pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 410]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)
                                 .filter_by(email=NEW)) == 1


def test_the_finished_sign_up_never_goes_off_site(http):
    sign_up(http, NEW, next_url="//evil.example/")
    response = finish_sign_up(http, outbox(http)[-1]["links"][0])
    assert response.headers["Location"] in ("/account", f"{IDP}/account")


# The outbox exists only on loopback origins; elsewhere mail goes over SMTP.

def _app(tmp_path, idp=IDP, ngo=NGO, **config):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
                      "LXL_IDP_ORIGIN": idp, "LXL_NGO_ORIGIN": ngo,
                      "LXL_PASSWORD_PROFILE": "CHEAPEST", **config})
    with app.app_context():
        upgrade()
    return app


SMTP_SETTINGS = {"LXL_SMTP_URL": "smtp://127.0.0.1:25", "LXL_MAIL_FROM": "no-reply@example.org"}


def test_the_outbox_is_served_on_loopback_origins(http):
    response = http.get(f"{IDP}/dev/outbox.json")
    assert response.status_code == 200 and response.json == []
    assert response.headers["Cache-Control"] == "no-store"


def test_the_outbox_answers_only_this_machine(http):
    response = http.get(f"{IDP}/dev/outbox.json", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert response.status_code == 404


@pytest.mark.parametrize("idp, ngo", [("https://id.example.org", "https://ngo.example.org"),
                                      (IDP, "https://ngo.example.org")])
def test_the_outbox_is_404_unless_both_origins_are_loopback(tmp_path, idp, ngo):
    app = _app(tmp_path, idp, ngo, **SMTP_SETTINGS)
    assert app.test_client().get(f"{idp}/dev/outbox.json").status_code == 404


@pytest.mark.parametrize("config, named", [
    ({}, "LXL_SMTP_URL"),
    ({"LXL_SMTP_URL": "smtp://mail.example.org:587"}, "LXL_MAIL_FROM"),
    ({"LXL_SMTP_URL": "http://user:s3cret@mail.example.org", "LXL_MAIL_FROM": "a@example.org"},
     "LXL_SMTP_URL"),
])
def test_production_without_mail_settings_does_not_start(tmp_path, config, named):
    with pytest.raises(RuntimeError, match=named) as raised:
        _app(tmp_path, "https://id.example.org", "https://ngo.example.org", **config)
    assert "s3cret" not in str(raised.value)


class _Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _authenticate(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"lxl", b"p@ss word"))


@pytest.fixture
def start_smtp_server():
    """Start real SMTP servers on 127.0.0.1 taking user ``lxl``, password ``p@ss word``
    (and delivering to an ``_Inbox``, or to the handler given)."""
    controllers = []

    def start(inbox=None, **options):
        inbox, port = inbox or _Inbox(), _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port,
                                authenticator=_authenticate, auth_require_tls=False, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp_server):
    """A plain SMTP server on 127.0.0.1 (no TLS: a relay on this machine)."""
    return start_smtp_server()


@pytest.fixture
def tls_context(tmp_path, monkeypatch):
    """A server TLS context for 127.0.0.1, its self-signed certificate trusted by this test."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # what ssl's default context trusts
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def test_sign_up_mail_goes_over_smtp(app, http, smtp_server):
    inbox, port = smtp_server
    app.config.update(LXL_SMTP_URL=f"smtp://lxl:p%40ss%20word@127.0.0.1:{port}",
                      LXL_MAIL_FROM="no-reply@id.example.org")
    assert "Check your inbox" in sign_up(http, NEW).text
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "no-reply@id.example.org" and envelope.rcpt_tos == [NEW]
    text = envelope.content.decode()
    assert "From: LxL ID <no-reply@id.example.org>" in text
    assert "Subject: Finish creating your LxL ID" in text
    assert f"{IDP}/signup/confirm?token=" in text
    assert outbox(http) == []


def test_an_smtp_failure_is_a_page_not_a_crash(app, http):
    app.config.update(LXL_SMTP_URL=f"smtp://127.0.0.1:{_free_port()}",
                      LXL_MAIL_FROM="no-reply@id.example.org")
    response = sign_up(http, NEW)
    assert response.status_code == 503 and "could not send" in response.text


class RefusingInbox(_Inbox):
    """An SMTP handler that refuses every recipient, quoting the address as servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected"


def test_an_smtp_failure_is_logged_without_the_address(app, http, start_smtp_server, caplog):
    _, port = start_smtp_server(inbox=RefusingInbox())
    app.config.update(LXL_SMTP_URL=f"smtp://127.0.0.1:{port}",
                      LXL_MAIL_FROM="no-reply@id.example.org")
    caplog.set_level(logging.DEBUG)
    assert sign_up(http, NEW).status_code == 503
    ours = [record for record in caplog.records  # not the test server's own "mail.log"
            if record.name == "lxl" or record.name.partition(".")[0] == "app"]
    [failure] = [record for record in ours
                 if getattr(record, "lxl", {}).get("event") == "mail_not_sent"]
    assert (failure.lxl["error"], failure.lxl["smtp_code"]) == ("SMTPRecipientsRefused", 550)
    assert failure.levelno == logging.WARNING
    written = "\n".join(logging.Formatter().format(record) for record in ours)
    assert NEW.partition("@")[0] not in written


def test_smtps_speaks_tls_from_the_first_byte(app, http, start_smtp_server, tls_context):
    inbox, port = start_smtp_server(ssl_context=tls_context)
    app.config.update(LXL_SMTP_URL=f"smtps://lxl:p%40ss%20word@127.0.0.1:{port}",
                      LXL_MAIL_FROM="LxL ID <no-reply@id.example.org>")
    sign_up(http, TAKEN)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [TAKEN] and b"tried to create" in envelope.content


def test_smtp_to_another_machine_insists_on_starttls(app, http, start_smtp_server, tls_context,
                                                      monkeypatch):
    monkeypatch.setattr(mail, "_on_this_machine", lambda host: False)  # as if 127.0.0.1 were far
    app.config.update(LXL_MAIL_FROM="no-reply@id.example.org")
    plain_inbox, plain_port = start_smtp_server()
    app.config.update(LXL_SMTP_URL=f"smtp://lxl:p%40ss%20word@127.0.0.1:{plain_port}")
    assert sign_up(http, NEW).status_code == 503  # no STARTTLS offered: nothing sent in clear
    assert plain_inbox.envelopes == []
    inbox, port = start_smtp_server(tls_context=tls_context, require_starttls=True)
    app.config.update(LXL_SMTP_URL=f"smtp://lxl:p%40ss%20word@127.0.0.1:{port}")
    assert sign_up(http, NEW).status_code == 200
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [[NEW]]
