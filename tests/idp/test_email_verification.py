"""Verified addresses: by sign-up, by a link from the account page, and by moving the account
to a new address (password required; the old address told)."""

import re

import pytest

from app.extensions import db
from app.idp import verification
from app.idp.models import User
from tests.helpers import (
    IDP, PASSWORD, csrf_token, finish_sign_up, get_tokens, id_token_claims, mail_to, outbox,
    sign_in, sign_up, submit_mailed_link, userinfo,
)

NEW = "ada.lovelace@example.org"


def account_form(http, action, **fields):
    """Submit the account page's form posting to ``action``; return the response."""
    page = http.get(f"{IDP}/account")
    return http.post(f"{IDP}{action}", data={"csrf_token": csrf_token(page.text), **fields})


def fresh_claims(http):
    """Return a fresh ID token's claims and the UserInfo answer for the signed-in person."""
    tokens = get_tokens(http).json
    return id_token_claims(tokens), userinfo(http, tokens["access_token"]).json


def test_sign_up_through_the_outbox_gives_a_verified_address(app, http):
    sign_up(http, "kjo@example.org")
    [link] = mail_to(http, "kjo@example.org")["links"]
    finish_sign_up(http, link)
    claims, info = fresh_claims(http)
    assert claims["email"] == "kjo@example.org" and claims["email_verified"] is True
    assert info["email_verified"] is True


def test_an_unverified_address_is_confirmed_by_a_link_from_the_account_page(http):
    sign_in(http)
    claims, _ = fresh_claims(http)
    assert claims["email_verified"] is False
    assert "not confirmed yet" in http.get(f"{IDP}/account").text
    account_form(http, "/account/email/verify")
    message = mail_to(http, "ada@example.org")
    assert message["subject"] == "Confirm your email address for LxL ID"
    [link] = message["links"]
    assert link.startswith(f"{IDP}/email/confirm?token=")
    confirmed = submit_mailed_link(http, link)
    assert confirmed.status_code == 302
    assert "is confirmed" in http.get(f"{IDP}/account").text
    claims, info = fresh_claims(http)
    assert claims["email_verified"] is True and info["email_verified"] is True


def test_following_the_link_alone_changes_nothing(app, http):
    sign_in(http)
    account_form(http, "/account/email/verify")
    [link] = mail_to(http, "ada@example.org")["links"]
    app.test_client().get(link)  # a mail scanner
    with app.app_context():
        assert not User.by_email("ada@example.org").email_verified


def test_a_used_link_is_a_clear_page(http):
    sign_in(http)
    account_form(http, "/account/email/verify")
    [link] = mail_to(http, "ada@example.org")["links"]
    submit_mailed_link(http, link)
    page = http.get(link)
    assert page.status_code == 410 and "already been used" in page.text


def test_an_expired_link_says_so(http, monkeypatch):
    sign_in(http)
    account_form(http, "/account/email/verify")
    [link] = mail_to(http, "ada@example.org")["links"]
    monkeypatch.setattr(verification, "LINK_LIFETIME_SECONDS", -1)
    page = http.get(link)
    assert page.status_code == 410 and "This link has expired" in page.text


@pytest.mark.parametrize("path", ["/email/confirm", "/email/change"])
@pytest.mark.parametrize("query", ["", "?token=", "?token=junk", "?token=" + "y" * 3000])
def test_a_bad_link_is_a_clear_page_never_an_error(http, path, query):
    page = http.get(f"{IDP}{path}{query}")
    assert page.status_code == 410 and "This link does not work" in page.text


def test_a_verify_link_is_not_a_change_link(http):
    sign_in(http)
    account_form(http, "/account/email/verify")
    [link] = mail_to(http, "ada@example.org")["links"]
    assert http.get(link.replace("/email/confirm", "/email/change")).status_code == 410


# --- a new address ---------------------------------------------------------------------------

def test_a_new_address_needs_the_password(http):
    sign_in(http)
    account_form(http, "/account/email", new_email=NEW, password="not-the-password")
    assert "The password is not right" in http.get(f"{IDP}/account").text
    assert outbox(http) == []


def test_moving_to_a_new_address(app, http):
    sign_in(http)
    account_form(http, "/account/email", new_email=NEW, password=PASSWORD)
    assert f"We sent a link to {NEW}" in http.get(f"{IDP}/account").text
    warning = mail_to(http, "ada@example.org")
    assert NEW in warning["text"] and "someone knows your password" in warning["text"]
    [link] = mail_to(http, NEW)["links"]
    assert link.startswith(f"{IDP}/email/change?token=")
    with app.app_context():  # nothing changes before the link is used
        assert User.by_email("ada@example.org") is not None
    assert submit_mailed_link(http, link).status_code == 302
    told = mail_to(http, "ada@example.org")
    assert told["subject"] == "Your LxL ID moved to a new email address" and NEW in told["text"]
    claims, info = fresh_claims(http)
    assert claims["email"] == NEW and claims["email_verified"] is True
    assert info["email"] == NEW
    assert sign_in(app.test_client(), email=NEW).status_code == 302
    assert sign_in(app.test_client(), email="ada@example.org").status_code == 200
    again = http.get(link)
    assert again.status_code == 410 and "already been used" in again.text


def test_a_taken_address_gets_the_same_answer_and_its_owner_is_told(app, http):
    sign_in(http)
    account_form(http, "/account/email", new_email="grace@example.org", password=PASSWORD)
    assert "We sent a link to grace@example.org" in http.get(f"{IDP}/account").text
    told = mail_to(http, "grace@example.org")
    assert told["links"] == [] and "nothing was changed" in told["text"]
    with app.app_context():
        assert User.by_email("ada@example.org") is not None


def test_a_taken_and_a_free_address_look_the_same_to_the_person_asking(make_app, monkeypatch):
    """The same notice to the old address, the same number of messages, in the same order."""
    seen, real_send = {}, verification.mail.send
    for new in ("grace@example.org", "kjo@example.org"):  # taken, free; the same length
        app = make_app()
        http = app.test_client()
        sent = []
        monkeypatch.setattr(verification.mail, "send",
                            lambda to, subject, text: (sent.append(to),
                                                       real_send(to, subject, text)))
        sign_in(http)
        account_form(http, "/account/email", new_email=new, password=PASSWORD)
        page = http.get(f"{IDP}/account").text.replace(new, "NEW")
        notice = mail_to(http, "ada@example.org")
        flashes = re.findall(r'<p class="flash[^<]*</p>', page)
        seen[new] = (sent == ["ada@example.org", new], notice["subject"],
                     notice["text"].replace(new, "NEW"), flashes)
        assert "If it was not you, someone knows your password" in notice["text"]
    taken, free = seen.values()
    assert taken[0] and free[0] and taken[3]
    assert taken[1:] == free[1:]


def test_a_password_change_stops_a_pending_move(http):
    sign_in(http)
    account_form(http, "/account/email", new_email=NEW, password=PASSWORD)
    [link] = mail_to(http, NEW)["links"]
    account_form(http, "/account/password", current_password=PASSWORD,
                 new_password="a-different-password")
    assert http.get(link).status_code == 410


def test_an_address_taken_after_the_link_was_sent_is_a_clear_page(app, http):
    sign_in(http)
    account_form(http, "/account/email", new_email=NEW, password=PASSWORD)
    [link] = mail_to(http, NEW)["links"]
    with app.app_context():
        db.session.add(User(email=NEW, name="Someone", password_hash="x"))
        db.session.commit()
    response = submit_mailed_link(http, link)
    assert response.status_code == 409 and "Another LxL ID uses" in response.text


def test_account_forms_without_a_csrf_token_are_refused(http):
    sign_in(http)
    for action, form in (("/account/email/verify", {}),
                         ("/account/email", {"new_email": NEW, "password": PASSWORD})):
        http.post(f"{IDP}{action}", data=form)
    assert outbox(http) == []


# --- the local outbox stays on this machine -------------------------------------------------

def test_the_outbox_is_unreachable_on_a_non_loopback_origin(make_app):
    app = make_app(LXL_IDP_ORIGIN="https://id.example.org",
                   LXL_NGO_ORIGIN="https://ngo.example.org",
                   LXL_SMTP_URL="smtp://127.0.0.1:25", LXL_MAIL_FROM="no-reply@example.org")
    assert app.test_client().get("https://id.example.org/dev/outbox.json").status_code == 404


def test_the_outbox_is_unreachable_from_another_machine(http):
    sign_in(http)
    account_form(http, "/account/email/verify")
    response = http.get(f"{IDP}/dev/outbox.json", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 404 and "token" not in response.text


def test_links_a_person_asks_for_are_capped_per_account(make_app):
    app = make_app(LXL_RATELIMIT_ACCOUNT_MAIL_PER_ACCOUNT="2 per hour")
    http = app.test_client()
    sign_in(http)
    for number in range(3):
        account_form(http, "/account/email", new_email=f"new{number}@example.org",
                     password=PASSWORD)
    assert "You asked for several links" in http.get(f"{IDP}/account").text
    assert [m["to"] for m in outbox(http) if m["links"] and "/email/" in m["links"][0]] == [
        "new0@example.org", "new1@example.org"]


# --- what a person typed goes only to an address the account has proven -------------------

def rename(app, email, name):
    with app.app_context():
        User.by_email(email).name = name
        db.session.commit()


def test_the_name_never_goes_to_an_address_someone_only_typed(app, http):
    spam = "Win a prize at https://spam.example"
    rename(app, "ada@example.org", spam)
    sign_in(http)
    account_form(http, "/account/email", new_email=NEW, password=PASSWORD)
    account_form(http, "/account/email/verify")
    forgot = app.test_client()
    page = forgot.get(f"{IDP}/password/forgot")
    forgot.post(f"{IDP}/password/forgot",
                data={"csrf_token": csrf_token(page.text), "email": "ada@example.org"})
    messages = outbox(http)
    assert len(messages) >= 4
    for message in messages:  # ada@example.org is not verified, NEW is anyone's
        assert spam not in message["text"] and message["text"].startswith("Hello,")


def test_a_proven_address_is_greeted_by_name(app, http):
    with app.app_context():
        User.by_email("ada@example.org").email_verified = True
        db.session.commit()
    sign_in(http)
    account_form(http, "/account/email", new_email=NEW, password=PASSWORD)
    assert mail_to(http, "ada@example.org")["text"].startswith("Hello Ada Lovelace,")
    assert mail_to(http, NEW)["text"].startswith("Hello,")


# --- a link to move the account works for its account only, and only the newest -----------

def ask_to_move(http, new=NEW):
    account_form(http, "/account/email", new_email=new, password=PASSWORD)
    return mail_to(http, new)["links"][0]


def post_link(http, link):
    """POST a change link's token from a browser that has not seen the confirm page."""
    from urllib.parse import parse_qs, urlsplit
    token = parse_qs(urlsplit(link).query)["token"][0]
    page = http.get(f"{IDP}/signin")
    return http.post(f"{IDP}/email/change", data={"csrf_token": csrf_token(page.text),
                                                  "token": token})


def where(app):
    with app.app_context():
        return db.session.scalar(db.select(User.email).filter_by(name="Ada Lovelace"))


def test_the_confirm_page_names_the_account_signed_in(http):
    sign_in(http)
    page = http.get(ask_to_move(http)).text
    assert "This moves the LxL ID you are signed in to (<strong>ada@example.org</strong>)" in page


@pytest.mark.parametrize("who", [None, "grace@example.org"])
def test_a_browser_not_signed_in_to_the_account_cannot_use_its_link(app, http, who):
    sign_in(http)
    link = ask_to_move(http)
    other = app.test_client()
    if who:
        sign_in(other, email=who)
    for response in (other.get(link), post_link(other, link)):
        assert response.status_code == 302
        assert response.location.startswith("/signin?next=/email/change")
    assert where(app) == "ada@example.org"
    # Signed in to the right account, the same browser comes back to the link and may use it.
    back = sign_in(other, next_url=link.removeprefix(IDP))
    assert back.location == link.removeprefix(IDP)
    assert submit_mailed_link(other, link).status_code == 302
    assert where(app) == NEW


def test_a_newer_request_voids_an_older_link(app, http):
    sign_in(http)
    older = ask_to_move(http)
    newer = ask_to_move(http, "kjo@example.org")
    assert http.get(older).status_code == 410
    assert post_link(http, older).status_code == 410
    assert where(app) == "ada@example.org"
    assert submit_mailed_link(http, newer).status_code == 302
    assert where(app) == "kjo@example.org"


def test_moving_away_and_back_does_not_revive_an_older_link(app, http):
    sign_in(http)
    to_c = ask_to_move(http, "c@example.org")
    submit_mailed_link(http, ask_to_move(http, "b@example.org"))
    assert where(app) == "b@example.org"
    account_form(http, "/account/email", new_email="ada@example.org", password=PASSWORD)
    submit_mailed_link(http, mail_to(http, "ada@example.org")["links"][0])
    assert where(app) == "ada@example.org"
    assert http.get(to_c).status_code == 410
    assert post_link(http, to_c).status_code == 410
    assert where(app) == "ada@example.org"


def test_the_move_stands_when_the_old_address_cannot_be_told(app, http, monkeypatch):
    from app.idp import mail
    sign_in(http)
    link = ask_to_move(http)

    def refuse(to, subject, text):
        raise mail.MailNotSent("the server said no")

    monkeypatch.setattr(mail, "send", refuse)
    assert submit_mailed_link(http, link).status_code == 302
    assert where(app) == NEW
