"""A forgotten password: the same answer for any address, then a single-use, hour-long link."""

import re

import pytest

from app.idp import mail, recovery
from tests.helpers import (
    IDP, PASSWORD, csrf_token, get_tokens, mail_to, outbox, refresh, sign_in,
    submit_mailed_link, userinfo,
)
from tests.idp.test_refresh_tokens import confidential, confidential_tokens  # noqa: F401
from tests.idp.test_signup import normalized

KNOWN, UNKNOWN = "ada@example.org", "kjo@example.org"  # the same length, so the pages are too
NEW_PASSWORD = "a-brand-new-password"


def forgot(http, email):
    """Submit ``<IdP>/password/forgot`` for ``email``; return the response."""
    page = http.get(f"{IDP}/password/forgot")
    return http.post(f"{IDP}/password/forgot",
                     data={"csrf_token": csrf_token(page.text), "email": email})


def reset_link(http, email=KNOWN):
    forgot(http, email)
    [link] = mail_to(http, email)["links"]
    return link


def test_the_forgot_page_is_contracts_form(http):
    page = http.get(f"{IDP}/password/forgot").text
    form = page.split("<form", 1)[1].split("</form>")[0]
    assert '<input name="email" type="email"' in form
    assert form.count('type="submit"') == 1


def test_sign_in_page_links_to_it(http):
    assert f'href="/password/forgot"' in http.get(f"{IDP}/signin").text


def test_a_known_and_an_unknown_address_get_the_same_answer(app):
    known, unknown = forgot(app.test_client(), KNOWN), forgot(app.test_client(), UNKNOWN)
    assert known.status_code == 200 and "Check your inbox" in known.text
    assert normalized(known, KNOWN) == normalized(unknown, UNKNOWN)


def test_both_answers_cost_the_same_work_one_message(http, monkeypatch):
    sent = []
    monkeypatch.setattr(mail, "send", lambda to, subject, text: sent.append(to))
    forgot(http, KNOWN)
    forgot(http, UNKNOWN)
    assert sent == [KNOWN, UNKNOWN]


def test_an_unknown_address_is_told_there_is_no_account_and_gets_no_link_to_use(http):
    forgot(http, UNKNOWN)
    [message] = outbox(http)
    assert message["to"] == UNKNOWN and "There is no LxL ID with this address" in message["text"]
    assert message["links"] == [f"{IDP}/signup"]


def test_the_link_leads_to_contracts_new_password_form_and_stays_out_of_its_url(http):
    link = reset_link(http)
    message = mail_to(http, KNOWN)
    assert message["subject"] == "Set a new password for your LxL ID"
    assert "within the next hour" in message["text"] and "LxL ID" in message["text"]
    page = http.get(link)
    form = page.text.split("<form", 1)[1].split("</form>")[0]
    assert '<input name="password" type="password" autocomplete="new-password"' in form
    assert form.count('type="submit"') == 1
    assert 'action="/password/reset"' in form, "the token goes on in the body, not the URL"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_a_new_password_works_the_old_one_does_not(app, http):
    response = submit_mailed_link(http, reset_link(http), password=NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin")
    assert "Your new password is set" in http.get(f"{IDP}/signin").text
    assert sign_in(app.test_client(), password=PASSWORD).status_code == 200
    assert sign_in(app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_it_signs_out_every_other_browser_and_revokes_their_tokens(app, http):
    other = app.test_client()
    sign_in(other)
    tokens = get_tokens(other).json
    submit_mailed_link(http, reset_link(http), password=NEW_PASSWORD)
    assert other.get(f"{IDP}/account").status_code == 302
    assert userinfo(other, tokens["access_token"]).status_code == 401
    assert refresh(other, tokens["refresh_token"]).json["error"] == "invalid_grant"


def test_it_revokes_offline_tokens_too(app, http, confidential):
    client_id, secret = confidential
    issued = confidential_tokens(http, confidential, "openid offline_access")
    submit_mailed_link(app.test_client(), reset_link(app.test_client()), password=NEW_PASSWORD)
    refused = refresh(http, issued["refresh_token"], client_id=client_id, secret=secret)
    assert refused.json["error"] == "invalid_grant"


def test_the_link_confirms_the_address(http):
    submit_mailed_link(http, reset_link(http), password=NEW_PASSWORD)
    sign_in(http, password=NEW_PASSWORD)
    assert "not confirmed" not in http.get(f"{IDP}/account").text


def test_a_link_works_once(http):
    link = reset_link(http)
    page = http.get(link)
    assert submit_mailed_link(http, link, password=NEW_PASSWORD).status_code == 302
    again = http.get(link)
    assert again.status_code == 410 and "already been used" in again.text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    fresh = csrf_token(http.get(f"{IDP}/password/forgot").text)  # signing out ended the old one
    replay = http.post(f"{IDP}/password/reset", data={
        "csrf_token": fresh, "token": token, "password": "yet-another-password"})
    assert replay.status_code == 410
    assert sign_in(http, password=NEW_PASSWORD).status_code == 302


def test_a_new_link_makes_older_ones_useless_once_used(http):
    first, second = reset_link(http), reset_link(http)
    submit_mailed_link(http, second, password=NEW_PASSWORD)
    assert http.get(first).status_code == 410


def test_an_expired_link_says_so(http, monkeypatch):
    link = reset_link(http)
    monkeypatch.setattr(recovery, "LINK_LIFETIME_SECONDS", -1)
    page = http.get(link)
    assert page.status_code == 410 and "This link has expired" in page.text
    assert 'href="/password/forgot"' in page.text


@pytest.mark.parametrize("query", ["", "?token=", "?token=nope", "?token=" + "x" * 5000,
                                   "?token=eyJ1IjoxfQ.abc.def", "?token=%00%ff"])
def test_a_bad_link_is_a_clear_page_never_an_error(http, query):
    page = http.get(f"{IDP}/password/reset{query}")
    assert page.status_code == 410 and "This link does not work" in page.text


def test_a_too_short_password_shows_the_form_again(http):
    link = reset_link(http)
    response = submit_mailed_link(http, link, password="short")
    assert response.status_code == 200 and "at least 10 characters" in response.text
    assert submit_mailed_link(http, link, password=NEW_PASSWORD).status_code == 302


def test_forms_without_a_csrf_token_are_refused(http):
    assert http.post(f"{IDP}/password/forgot", data={"email": KNOWN}).status_code == 400
    assert outbox(http) == []


def test_an_address_asked_about_too_often_quietly_gets_no_more_mail(app):
    for _ in range(recovery_limit(app) + 2):
        answer = forgot(app.test_client(), KNOWN)
        assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert len(outbox(app.test_client())) == recovery_limit(app)


def recovery_limit(app):
    from app.idp import rate_limits
    return int(app.config.get("LXL_RATELIMIT_RESETS_PER_ACCOUNT",
                              rate_limits.RESETS_PER_ACCOUNT).split()[0])


def test_one_client_address_asking_too_often_is_told_to_wait(make_app):
    app = make_app(LXL_RATELIMIT_RESETS_PER_ADDRESS="2 per hour")
    http = app.test_client()
    assert forgot(http, KNOWN).status_code == 200
    assert forgot(http, UNKNOWN).status_code == 200
    refused = forgot(http, "someone@example.org")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many requests for a new password" in refused.text


@pytest.mark.parametrize("email", [
    "ada@example.org, eve@example.org", "ada@example.org;eve@example.org",
    "Eve <eve@example.org>", "ada@example.org\r\nBcc: eve@example.org",
    "ada@example.org\nBcc: eve@example.org", "not an address",
])
def test_anything_but_one_address_is_the_forms_error_and_sends_nothing(http, email):
    answer = forgot(http, email)
    assert answer.status_code == 200 and "Invalid email address" in answer.text
    assert "Check your inbox" not in answer.text
    assert outbox(http) == []


@pytest.mark.parametrize("to", [
    "ada@example.org, eve@example.org", "Eve <eve@example.org>", "ada@example.org\r\nBcc: e@x.org",
    ["ada@example.org"], "",
])
def test_mail_refuses_anything_but_one_bare_address(app, to):
    with app.app_context(), pytest.raises(mail.BadRecipient):
        mail.send(to, "Subject", "Text")


def test_smtp_envelope_names_only_the_one_recipient(make_app, monkeypatch):
    app = make_app(LXL_SMTP_URL="smtp://127.0.0.1:2525", LXL_MAIL_FROM="LxL ID <id@example.org>")
    sent = []

    class FakeSMTP:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message, to_addrs=None):
            sent.append((message["To"], to_addrs))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    with app.app_context():
        mail.send("ada@example.org", "Subject", "Text")
    assert sent == [("ada@example.org", ["ada@example.org"])]


def test_a_token_saved_by_a_refresh_racing_the_reset_does_not_work(app, http):
    """A refresh past its checks when the reset commits saves its token afterwards: the
    token's row is not revoked, but its family is, and every use reads the family."""
    from app.extensions import db
    from app.idp.models import Token
    issued = get_tokens(http).json
    submit_mailed_link(app.test_client(), reset_link(app.test_client()), password=NEW_PASSWORD)
    with app.app_context():  # as if this row had been saved just after the reset's revocation
        db.session.execute(db.update(Token).values(access_token_revoked_at=0,
                                                   refresh_token_revoked_at=0))
        db.session.commit()
    assert userinfo(http, issued["access_token"]).status_code == 401
    assert refresh(http, issued["refresh_token"]).json["error"] == "invalid_grant"


def test_an_address_gets_a_few_mails_a_day_at_most(make_app):
    app = make_app(LXL_RATELIMIT_RESETS_PER_ACCOUNT="100 per hour",
                   LXL_RATELIMIT_RESETS_PER_ACCOUNT_DAILY="4 per day")
    for _ in range(6):
        answer = forgot(app.test_client(), KNOWN)
        assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert len(outbox(app.test_client())) == 4


def test_the_daily_cap_is_a_setting_beside_the_other_limits(app):
    assert app.config["LXL_RATELIMIT_RESETS_PER_ACCOUNT_DAILY"] == "6 per day"
