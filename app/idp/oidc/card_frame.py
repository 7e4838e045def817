"""The One-Tap card frame (``/oidc/iframe/card``): whether it shows, its token, and its answers.

The SDK's ``prompt()`` frames this page in a corner of the site when silent sign-in could not
finish (docs/silent-sign-in.md, "The One-Tap card frame"). It may be framed only by a
registered web origin of the client (``status_frame.registered_client``, the status frame's
rule). ``decide`` looks at this browser once: cookies withheld, no session, a cooldown the
person started by closing the card — else the card is displayed, for whoever is signed in.
The site learns only whether it was displayed and why not: the card's size is fixed
(``CARD_WIDTH_PX`` × ``CARD_HEIGHT_PX``) and nothing the frame posts depends on who is signed
in, until the person presses Continue.

The card's two endpoints (Continue, close) take a card token instead of a CSRF token: signed
by the IdP, naming the client, the origin and this browser's key (the ``SameSite=None``
cookie), for an hour. With the views' same-origin check, only the script of a card this very
browser was shown for this very site can call them.
"""

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from .. import accounts, consents, prompt_cooldowns
from ...sites import origin_host
from . import button_frame, reasons, silent, status_frame
from .status_frame import AUTHORIZATION_PARAMS

# The card's size, the same for everyone (what a site sees of it); the SDK's part gives its
# frame the same numbers (tests/sdk holds them equal), at most the window's width less 16 px.
CARD_WIDTH_PX = 360
CARD_HEIGHT_PX = 176
# How long a card's Continue and close work after it was shown (its token's lifetime).
TOKEN_SECONDS = 3600
INVALID_CARD = "invalid_card"


class InvalidCard(Exception):
    """A card token that is not this browser's card for this site, or is over an hour old."""


@dataclass(frozen=True)
class Options:
    """The checked query of one card frame."""

    authorization: dict  # the site's authorization request (name → value), for Continue

    @property
    def scope(self):
        """Return the scope the card would sign in with (the request's, else ``openid``)."""
        return self.authorization.get("scope") or "openid"


def read(args):
    """Return the ``Options`` the query ``args`` (a ``MultiDict``) asks for; else refuse.

    Read as the button frame reads its options (``button_frame.single``, ``flag``). The
    authorization request goes to ``/oidc/iframe/card/continue`` unchanged, where the grant
    checks it as ``/oidc/authorize`` would; only a repeated parameter, which a JSON body
    cannot carry, is refused here (an empty one counts as absent: RFC 6749 §3.1).
    ``itp_support`` is checked, as the other frames check it, but changes nothing: a card is
    displayed only where our cookie reached it, so its script may always use the
    storage-access grant that let it through.
    """
    button_frame.flag(args, "itp_support")
    return Options({name: value for name in AUTHORIZATION_PARAMS
                    if (value := button_frame.single(args, name)) is not None})


@dataclass(frozen=True)
class Card:
    """The decision for this browser: the card to show, or why none is displayed."""

    displayed: bool
    not_displayed_reason: str | None = None
    reason: str | None = None  # the failure reason (reasons.py), where one applies
    user: object = None
    needs_consent: bool = False
    token: str | None = None
    # Browsers without Storage Access Headers: "no cookie" may be "cookie withheld", which
    # only the frame can ask the browser (``document.hasStorageAccess()``).
    ask_browser_for_storage_access: bool = False

    @classmethod
    def not_displayed(cls, reason, **fields):
        """Return the decision not to display the card, for the failure ``reason``."""
        return cls(False, reasons.NOT_DISPLAYED_BY_REASON[reason], reason, **fields)

    def message(self):
        """Return the ``lxl:card`` message: whether the card is displayed, never for whom."""
        if self.displayed:
            return {"type": "lxl:card", "displayed": True}
        message = {"type": "lxl:card", "displayed": False,
                   "not_displayed_reason": self.not_displayed_reason}
        return message if self.reason is None else {**message, "reason": self.reason}

    @property
    def first_name(self):
        """Return the word of "Continue as …": the first of the user's name (else the email)."""
        words = self.user.name.split()
        return words[0] if words else self.user.email

    @property
    def initial(self):
        """Return the letter in the card's avatar."""
        return self.first_name[:1].upper()


# What the frame posts instead of "no session" when the browser says it withheld our cookie.
COOKIES_BLOCKED = Card.not_displayed(reasons.THIRD_PARTY_COOKIES_BLOCKED)


def decide(client, origin, options):
    """Return the ``Card`` for this browser: displayed, or not and why."""
    if silent.cookies_withheld():
        return COOKIES_BLOCKED
    key = accounts.silent_browser_key()
    live, expired = accounts.sessions_for_key(key)
    if not live:
        return Card.not_displayed(
            reasons.SESSION_EXPIRED if expired else reasons.NO_SESSION,
            ask_browser_for_storage_access=silent.storage_access() is None)
    user = live[0].user  # one account per browser: see accounts.sign_in
    if prompt_cooldowns.is_quiet(user, client.client_id):
        return Card(False, reasons.SUPPRESSED_BY_USER)
    return Card(True, user=user,
                needs_consent=not consents.covers(user, client.client_id, options.scope),
                token=_serializer().dumps(_bound_to(client.client_id, origin, key)))


def site_name(client, origin):
    """Return the name the card gives the site: the client's, else its origin's host."""
    return client.client_name or origin_host(origin)


def check_token(token, client_id, origin):
    """Refuse (``InvalidCard``) a card token not issued to this browser for this site."""
    try:
        bound = _serializer().loads(token, max_age=TOKEN_SECONDS)
    except BadData:
        raise InvalidCard("The card's 'token' has expired or is not the IdP's: show the card "
                          "again.") from None
    key = accounts.silent_browser_key()
    if not key or bound != _bound_to(client_id, origin, key):
        raise InvalidCard("The card's 'token' was issued for another site, or to a browser "
                          "session that has ended: show the card again.")


def continue_card(client, origin, requested):
    """Sign in from the card: return the authorization response, or ``None`` for the popup.

    ``requested`` is the site's authorization request (name → string), answered as the status
    frame answers it (``prompt=none``, ``web_message`` to ``origin``): the grant alone judges
    the session, the consent and the request. It looks past an auto-select opt-out, which
    stops *automatic* sign-in, not the person's own click. When the grant needs the person
    (login, consent or interaction required: signed out meanwhile, consent missing or
    withdrawn, ``max_age`` exceeded, a hint naming someone else), the popup asks. A malformed
    request gets its error response, which the site's own request caused.
    """
    answer = status_frame.answer(client, origin, MultiDict(requested), ignore_opt_out=True)
    if answer.status != status_frame.LOGGED_IN or answer.authorization is None:
        return None
    if "id_token" in answer.authorization:
        # Only a credential is the person signing in to the site by hand, which turns
        # automatic sign-in back on (as a sign-in through the popup does). The grant issued
        # it to this browser's one user.
        live, _ = accounts.sessions_for_key(accounts.silent_browser_key())
        silent.signed_in_by_hand(live[0].user, client.client_id)
    return answer.authorization


def dismiss(client):
    """Count a closing of the card, starting its cooldown; ``False`` if nobody is signed in."""
    live, _ = accounts.sessions_for_key(accounts.silent_browser_key())
    if not live:
        return False
    prompt_cooldowns.dismissed(live[0].user, client.client_id)
    return True


def _bound_to(client_id, origin, key):
    """Return what a card token names: the site, and this browser (its key, hashed apart
    from the database's own hash of it, so the page never holds that one)."""
    browser = hashlib.sha256(f"lxl.card:{key}".encode()).hexdigest()
    return {"client_id": client_id, "origin": origin, "browser": browser}


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="lxl.card")
