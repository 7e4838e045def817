"""Rate limits that count failures, not traffic (Flask-Limiter), and the request size limit.

What is counted, each limit a setting in ``app/config.py`` (``limits`` notation):

- wrong passwords, per account (``LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT``) and per
  client address (``…_PER_ADDRESS``), wherever a password is checked: the sign-in form and
  the password-change form's current password (``accounts.authenticate``);
- sign-up attempts per client address (``LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS``);
- failed client authentication and ``invalid_grant`` at the token endpoint, per ``client_id``
  and client address (``LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT``) — per address too, so
  that nobody can shut a public client's token endpoint for everyone by failing on purpose;
- ``/oidc/client-check`` per address, a ceiling no page load approaches
  (``LXL_RATELIMIT_CLIENT_CHECKS_PER_ADDRESS``; the SDK fetches it at most once per page).
- requests for a new password (recovery.py), per address asked about — quietly: past the
  limit nothing is mailed and the answer is the same — and per client address
  (``LXL_RATELIMIT_RESETS_PER_ACCOUNT``, ``…_PER_ADDRESS``; defaults below), with a daily
  ceiling per address asked about (``LXL_RATELIMIT_RESETS_PER_ACCOUNT_DAILY``);
- links a signed-in person asks to be mailed (confirm an address, move to a new one), per
  account (``LXL_RATELIMIT_ACCOUNT_MAIL_PER_ACCOUNT``).

Nothing else is limited: silent frames, authorization and successful token requests are
never counted, so a load test or a thousand concurrent silent sign-ins from one address
never see a 429. A 429 carries ``Retry-After`` and speaks the endpoint's language: an HTML
page for forms, OAuth JSON at the token endpoint, JSON any origin may read at client-check.

Both password counts are taken *before* the password is checked, so concurrent guesses
cannot all pass the check together. A right password clears the account's count (what
remains are the failures since the last success) and hands the address's unit back (signing
in to one's own account neither counts nor resets the address's failures).

Counts live in ``RATELIMIT_STORAGE_URI``: ``memory://`` on one machine (each process counts
alone), Redis in production. The client address is ``request.remote_addr``: behind a reverse
proxy, have the proxy's address replaced (Werkzeug's ``ProxyFix``) or every visitor shares one.
"""

import functools
import math
import time

from flask import current_app, jsonify, render_template, request
from flask_limiter import Limiter
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from .. import logs
from .oidc import parameters
from .oidc.response_modes import NO_STORE

# The OAuth error code for an overloaded server (RFC 6749 §4.1.2.1); the token endpoint
# has no code of its own for it.
OVERLOADED = "temporarily_unavailable"
# Longer values are not addresses or client ids a limit needs to tell apart.
_KEY_LENGTH = 320


def client_address():
    """Return the address the request came from: the key of the per-address limits."""
    return request.remote_addr or "unknown"


class DeclaredLimitsOnly(Limiter):
    """Flask-Limiter, checking a request only where this module declares a limit.

    Every limit here is a view's decorator (checked in the view's wrapper) or counted by
    hand. The extension also checks every request before its view, looking for default and
    application limits, which this app has none of: on the silent frames, authorization and
    discovery that pass found nothing, for about 45 µs of CPU each (2 % of a silent sign-in).
    """

    def init_app(self, app):
        super().init_app(app)
        app.before_request_funcs[None].remove(self._check_request_limit)


limiter = DeclaredLimitsOnly(client_address)


def limit_name(setting):
    """Return the name the log gives the limit ``setting`` sets: the same whatever its rate
    (``LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS`` → ``sign_ups_per_address``)."""
    return setting.removeprefix("LXL_RATELIMIT_").lower()


class TooManyFailures(TooManyRequests):
    """Too many wrong passwords lately for this account or from this address: the limit of
    ``setting``."""

    def __init__(self, retry_after, setting):
        minutes = math.ceil(retry_after / 60)
        super().__init__(
            f"Too many failed sign-in attempts. Wait {minutes} minute"
            f"{'s' if minutes > 1 else ''} and try again, or reset your password.",
            retry_after=retry_after)
        self.limit_name = limit_name(setting)


def _limit(setting):
    """Return the ``limits`` item of ``setting``'s rate (``30 per minute``), parsed once."""
    return _parsed(current_app.config[setting])


@functools.lru_cache(maxsize=64)
def _parsed(rate):
    return parse(rate)


def _retry_after(item, *identifiers, strategy=None):
    """Return whole seconds until ``item`` admits one more hit for ``identifiers``."""
    reset_at = (strategy or limiter.limiter).get_window_stats(item, *identifiers).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def _address_window():
    """The per-address count of wrong passwords: a fixed window, whose count can be handed back.

    An attempt takes its unit before the password is checked, so that requests in flight
    cannot all pass a check made before any of them was counted; a right password hands it
    back, so the count is of failures only.
    """
    return FixedWindowRateLimiter(limiter.storage)


def _password_limits(email):
    return ((_limit("LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT"),
             ("password", "account", email[:_KEY_LENGTH])),
            (_limit("LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS"),
             ("password", "address", client_address())))


def count_password_attempt(email):
    """Count an attempt at ``email``'s password; raise ``TooManyFailures`` if it must wait.

    Both counts are taken before the password is checked (see ``_address_window``); the
    address's is handed back when the account's refuses the attempt.
    """
    (account, account_key), (address, address_key) = _password_limits(email)
    by_address = _address_window()
    if not by_address.hit(address, *address_key):
        by_address.hit(address, *address_key, cost=-1)  # refused: not an attempt after all
        raise TooManyFailures(_retry_after(address, *address_key, strategy=by_address),
                              "LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS")
    if not limiter.limiter.hit(account, *account_key):
        by_address.hit(address, *address_key, cost=-1)
        raise TooManyFailures(_retry_after(account, *account_key),
                              "LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT")


def record_password_result(email, accepted):
    """After a right password: clear the account's count, hand the address's unit back."""
    if accepted:
        (account, account_key), (address, address_key) = _password_limits(email)
        limiter.limiter.clear(account, *account_key)
        _address_window().hit(address, *address_key, cost=-1)


def _token_client():
    """Return the key of the token endpoint's limit: the client_id and the address."""
    client_id = parameters.client_id_of(request) or ""
    return f"{client_id[:_KEY_LENGTH]} at {client_address()}"


def _token_failed(response):
    """True for a refused client authentication or grant (RFC 6749 §5.2)."""
    body = response.get_json(silent=True) if response.status_code in (400, 401) else None
    return isinstance(body, dict) and body.get("error") in ("invalid_client", "invalid_grant")


def _retry_after_breach(limit):
    return max(1, limit.reset_at - math.floor(time.time()))


def _oauth_too_many(seconds):
    """The token endpoint's 429: OAuth JSON (RFC 6749 §5.2), never cached."""
    response = jsonify(error=OVERLOADED, error_description=(
        f"Too many failed token requests from this client: retry after {seconds} seconds."))
    response.status_code = 429
    response.headers.extend([("Retry-After", str(seconds)), *NO_STORE])
    return response


def _public_too_many(limit):
    """client-check's 429: JSON any origin may read, so the SDK can tell it from an outage."""
    seconds = _retry_after_breach(limit)
    response = jsonify(error=OVERLOADED, error_description=(
        f"Too many client checks from this address: retry after {seconds} seconds."))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _declared_limit(setting, **options):
    """Return the decorator counting against the limit of ``setting``.

    Its scope is the limit's name: the log names a breach by it (``too_many_page``).
    """
    return limiter.limit(lambda: current_app.config[setting], scope=limit_name(setting),
                         **options)


limit_sign_ups = _declared_limit("LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS", methods=["POST"])
"""Decorate the sign-up view: each submitted sign-up counts against its address."""

def limit_token_failures(view):
    """Decorate the token endpoint: refused client authentications and grants count.

    The limit of ``LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT``, per client_id and address,
    counted by hand on Flask-Limiter's own counter and storage rather than with its
    decorator: every token request, most of them successes, passes here, and the decorator
    (resolving its limits, exemptions and context) cost about 0.2 ms of CPU on each
    (bench/README.md), where a look at the count is what is needed.
    """
    setting = "LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT"
    scope = limit_name(setting)

    @functools.wraps(view)
    def counted(*args, **kwargs):
        limit, key = _limit(setting), _token_client()
        if not limiter.limiter.test(limit, scope, key):
            raise TooManyTokenFailures(_oauth_too_many(_retry_after(limit, scope, key)), scope)
        response = current_app.make_response(view(*args, **kwargs))
        if _token_failed(response):
            limiter.limiter.hit(limit, scope, key)
        return response

    return counted


class TooManyTokenFailures(TooManyRequests):
    """Too many refused token requests lately for this client from this address."""

    def __init__(self, response, name):
        super().__init__(response=response)
        self.limit_name = name


limit_client_checks = _declared_limit("LXL_RATELIMIT_CLIENT_CHECKS_PER_ADDRESS",
                                      on_breach=_public_too_many)
"""Decorate client-check: a per-address ceiling far above any page's use."""


def too_many_page(error):
    """Answer a 429 with the endpoint's own response, or else an HTML page for a form."""
    # A declared limit's scope is its name; the counted ones raise with theirs.
    limit = error.limit.scope if hasattr(error, "limit") else error.limit_name
    logs.event("rate_limited", limit=limit)
    if error.response is not None:
        return error.response
    if isinstance(error, TooManyFailures):
        retry_after, message = error.retry_after, error.description
    else:
        retry_after = _retry_after_breach(limiter.current_limit)
        message = (f"Too many attempts from this address. Try again in "
                   f"{math.ceil(retry_after / 60)} minutes.")
    page = render_template("error.html", title="Please wait a moment", message=message)
    return page, 429, {"Retry-After": str(retry_after)}


def too_large_page(error):
    """Answer a body over ``MAX_CONTENT_LENGTH`` with a page that says so."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    page = render_template("error.html", title="This request is too large", message=(
        f"The request body is larger than the {limit // 1024} KiB this server accepts."))
    return page, 413


def init_app(app):
    """Start counting on ``RATELIMIT_STORAGE_URI`` and answer 413 and 429 as pages."""
    limiter.init_app(app)
    app.register_error_handler(429, too_many_page)
    app.register_error_handler(413, too_large_page)


# Forgotten passwords (recovery.py). Defaults here, overridable in the app's configuration.
RESETS_PER_ACCOUNT = "3 per hour"
RESETS_PER_ADDRESS = "20 per hour"


class TooManyResets(TooManyFailures):
    """Too many requests for a new password from this client address lately."""

    def __init__(self, retry_after):
        minutes = math.ceil(retry_after / 60)
        TooManyRequests.__init__(
            self, f"Too many requests for a new password from this address. Wait {minutes} "
                  f"minute{'s' if minutes > 1 else ''} and try again.", retry_after=retry_after)
        self.limit_name = limit_name("LXL_RATELIMIT_RESETS_PER_ADDRESS")


def count_reset_request(email):
    """Count a request for a new password; False if ``email`` asked too often (say nothing).

    Raise ``TooManyResets`` if this client address asked too often. The per-account count
    is kept for any address, with an account or not, so it tells nobody which have one.
    """
    config = current_app.config
    address = parse(config.get("LXL_RATELIMIT_RESETS_PER_ADDRESS", RESETS_PER_ADDRESS))
    address_key = ("reset", "address", client_address())
    if not limiter.limiter.hit(address, *address_key):
        raise TooManyResets(_retry_after(address, *address_key))
    account = parse(config.get("LXL_RATELIMIT_RESETS_PER_ACCOUNT", RESETS_PER_ACCOUNT))
    account_key = ("reset", "account", email[:_KEY_LENGTH])
    # An hour's few, and a ceiling over the day so the inbox is not filled hour after hour.
    return (limiter.limiter.hit(account, *account_key) and limiter.limiter.hit(
        parse(config["LXL_RATELIMIT_RESETS_PER_ACCOUNT_DAILY"]), *account_key, "day"))


def clear_password_failures(email):
    """Forget the wrong passwords tried for ``email`` (a new password was set by mail)."""
    account, account_key = _password_limits(email)[0]
    limiter.limiter.clear(account, *account_key)


# Links a signed-in person asks to be mailed (verification.py): a confirmation of their own
# address, or of a new one — which could be anyone's, so each account's count is capped.
ACCOUNT_MAIL_PER_ACCOUNT = "5 per hour"


def count_account_mail(user_id):
    """Count a link a signed-in account asked to be mailed; False past the limit."""
    limit = parse(current_app.config.get("LXL_RATELIMIT_ACCOUNT_MAIL_PER_ACCOUNT",
                                         ACCOUNT_MAIL_PER_ACCOUNT))
    return limiter.limiter.hit(limit, "account-mail", str(user_id))
