"""What the account page says, in words a person reads: browsers, times and sites.

- A browser session is "Chrome on Linux" (user agents parsed by ``ua-parser``), when it
  signed in, when it was last active — its sign-in, or the last time it signed in to a site
  (the newest code or token bound to it) — and until when it stays signed in.
- A site is its name, what it may see ("your name, your email address") and since when,
  and whether it may sign the person in automatically: the auto-select opt-out of the SDK's
  ``disableAutoSelect`` (``AutoSelectOptOut``), which the person can switch either way here.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

import ua_parser
from ..extensions import db
from .models import AuthorizationCode, Client, Token, epoch
from . import consents
from .oidc import silent

# What each scope lets a site see, as the consent page says it (templates/idp/consent.html).
SCOPE_WORDS = {
    "openid": "that you are the same person each time you return",
    "profile": "your name",
    "email": "your email address",
    "offline_access": "to keep access while you are away",
}
# Shown in this order; ``openid`` goes without saying once anything else is listed.
_SCOPE_ORDER = ("profile", "email", "offline_access")
_UNKNOWN = "Other"
# Names a person would not recognise for the browser they use.
_PLAIN_NAMES = {"HeadlessChrome": "Chrome", "Chrome Mobile WebView": "Chrome"}


def browser_in_words(user_agent):
    """Return "Chrome on Linux" for a user-agent string; "An unknown browser" if unreadable."""
    result = ua_parser.parse(user_agent or "").with_defaults()
    browser, system = result.user_agent.family, result.os.family
    browser = _PLAIN_NAMES.get(browser, browser)
    if browser == _UNKNOWN and system == _UNKNOWN:
        return "An unknown browser"
    if system == _UNKNOWN:
        return browser
    if browser == _UNKNOWN:
        return f"A browser on {system}"
    return f"{browser} on {system}"


def ago(then, now=None):
    """Return "just now", "3 minutes ago", "2 days ago" … for an epoch time in the past."""
    seconds = max(0, (now or epoch()) - then)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def date_in_words(when):
    """Return "31 December 2026" for an epoch time (UTC)."""
    moment = datetime.fromtimestamp(when, timezone.utc)
    return f"{moment.day} {moment:%B %Y}"


def scopes_in_words(scope):
    """Return what ``scope`` lets a site see, as a phrase: "your name, your email address"."""
    granted = set(scope.split())
    words = [SCOPE_WORDS[name] for name in _SCOPE_ORDER if name in granted]
    if words:
        return ", ".join(words)
    return f"only {SCOPE_WORDS['openid']}" if "openid" in granted else "nothing about you"


@dataclass
class SignedInBrowser:
    """One row of "Where you are signed in"."""

    id: int
    browser: str
    signed_in: str
    last_active: str
    stays_until: str
    this_browser: bool


@dataclass
class AllowedSite:
    """One row of "Sites you have allowed"."""

    client_id: str
    name: str
    may_see: str
    allowed_on: str
    automatic_sign_in: bool


def signed_in_browsers(sessions, current):
    """Return the live ``sessions`` in words, this browser first."""
    now = epoch()
    rows = []
    for row in sessions:
        last = max([row.auth_time, *_last_uses(row.id)])
        this_browser = current is not None and row.id == current.id
        if row.remember:
            stays = f"stays signed in until {date_in_words(row.expires_at)}"
        else:
            stays = "signed out when the browser is closed"
        rows.append(SignedInBrowser(
            id=row.id, browser=browser_in_words(row.user_agent),
            signed_in=f"signed in {ago(row.auth_time, now)}",
            last_active="active now" if this_browser else f"last active {ago(last, now)}",
            stays_until=stays, this_browser=this_browser))
    return sorted(rows, key=lambda item: not item.this_browser)


def _last_uses(session_id):
    code = db.session.scalar(db.select(db.func.max(AuthorizationCode.created_at))
                             .filter_by(browser_session_id=session_id))
    token = db.session.scalar(db.select(db.func.max(Token.issued_at))
                              .filter_by(browser_session_id=session_id))
    return [when for when in (code, token) if when]


def allowed_sites(user):
    """Return the sites ``user`` has allowed, newest first, in words."""
    sites = []
    for consent in consents.granted_clients(user):
        client = db.session.scalar(db.select(Client).filter_by(client_id=consent.client_id))
        sites.append(AllowedSite(
            client_id=consent.client_id,
            name=client.client_name if client else consent.client_id,
            may_see=scopes_in_words(consent.scope),
            allowed_on=date_in_words(consent.granted_at),
            automatic_sign_in=not silent.is_opted_out(user, consent.client_id)))
    return sites


def set_automatic_sign_in(user, client_id, allowed):
    """Let ``client_id``'s site sign ``user`` in automatically, or stop it (the SDK opt-out)."""
    if allowed:
        silent.clear_opt_out(user, client_id)
    else:
        silent.add_opt_out(user, client_id)  # tolerates a double submit
