"""Leaving: "Delete my account" with the password removes everything a token could use."""

from app.extensions import db
from app.idp.models import (
    AuthorizationCode, AutoSelectOptOut, BrowserSession, Consent, Token, User,
)
from tests.helpers import (
    IDP, PASSWORD, csrf_token, finish_sign_up, get_tokens, mail_to, refresh, sign_in, sign_up,
    userinfo,
)
from tests.idp.test_silent import embedded, frame_url


def delete(http, password=PASSWORD, **extra):
    page = http.get(f"{IDP}/account")
    return http.post(f"{IDP}/account/delete",
                     data={"csrf_token": csrf_token(page.text), "password": password, **extra})


def rows_of(app, user_id):
    with app.app_context():
        return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model)
                                                  .where(model.user_id == user_id))
                for model in (Token, AuthorizationCode, Consent, AutoSelectOptOut,
                              BrowserSession)}


def ada_id(app):
    with app.app_context():
        return User.by_email("ada@example.org").id


def test_the_account_page_offers_it_with_the_password(http):
    sign_in(http)
    page = http.get(f"{IDP}/account").text
    form = page.split('class="delete-account"', 1)[1].split("</form>")[0]
    assert 'name="password" type="password"' in form and "Delete my account" in form


def test_a_wrong_password_deletes_nothing(app, http):
    sign_in(http)
    delete(http, password="not-my-password")
    assert "Your account was not deleted" in http.get(f"{IDP}/account").text
    with app.app_context():
        assert User.by_email("ada@example.org") is not None


def test_without_a_csrf_token_nothing_happens(app, http):
    sign_in(http)
    assert http.post(f"{IDP}/account/delete", data={"password": PASSWORD}).status_code == 400
    with app.app_context():
        assert User.by_email("ada@example.org") is not None


def test_deleting_leaves_nothing_a_token_could_use(app, http):
    other = app.test_client()
    sign_in(other)
    tokens = get_tokens(http).json  # signs in and consents
    user_id = ada_id(app)
    assert rows_of(app, user_id)["Token"] == 1
    page = delete(http)
    assert page.status_code == 200 and "Your LxL ID is deleted" in page.text
    assert rows_of(app, user_id) == dict.fromkeys(rows_of(app, user_id), 0)
    with app.app_context():
        assert db.session.get(User, user_id) is None
    # Signed out here and in the other browser; the password no longer signs anyone in.
    assert http.get(f"{IDP}/account").status_code == 302
    assert other.get(f"{IDP}/account").status_code == 302
    assert sign_in(app.test_client()).status_code == 200
    # Tokens issued before fail; the site's silent sign-in finds no session.
    assert refresh(http, tokens["refresh_token"]).json["error"] == "invalid_grant"
    assert userinfo(http, tokens["access_token"]).status_code == 401
    status = embedded(http.get(frame_url()).text, "initial")
    assert status["status"] == "logged_out" and status["reason"] == "no_session"
    message = mail_to(http, "ada@example.org")
    assert message["subject"] == "Your LxL ID has been deleted" and message["links"] == []


def test_the_other_browsers_silent_sign_in_says_no_session(app, http):
    other = app.test_client()
    get_tokens(other)  # Ada in another browser, signed in and consented
    assert embedded(other.get(frame_url()).text, "initial")["status"] == "logged_in"
    sign_in(http)
    delete(http)
    status = embedded(other.get(frame_url()).text, "initial")
    assert status["status"] == "logged_out" and status["reason"] == "no_session"


def test_the_address_can_sign_up_again(app, http):
    sign_in(http)
    delete(http)
    sign_up(http, "ada@example.org")
    [link] = mail_to(http, "ada@example.org")["links"]
    assert finish_sign_up(http, link).status_code == 302


def test_other_accounts_are_untouched(app, http):
    grace = app.test_client()
    sign_in(grace, email="grace@example.org")
    tokens = get_tokens(grace).json
    sign_in(http)
    delete(http)
    assert grace.get(f"{IDP}/account").status_code == 200
    assert refresh(grace, tokens["refresh_token"]).status_code == 200
