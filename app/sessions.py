"""Sessions, one cookie per site: signed data while anonymous, a server-side row once signed in.

The IdP and the NGO site share a process but not a cookie policy: each site has its own
session cookie name, so neither ever reads the other's session. Both are ``HttpOnly``,
``Secure`` and ``SameSite=Lax``.

What a session holds decides where it is kept:

- **Anonymous** (a sign-in or sign-up form's CSRF token, the logout confirmation's, the NGO
  site's OAuth ``state`` and PKCE verifier, a flashed message): the cookie carries the data
  itself, signed with the app's secret key by Flask's own cookie-session serializer
  (itsdangerous), and ends with the browser. Nothing is stored on the server, so a visitor —
  or a script fetching ``/signin`` in a loop — costs no row. The signature is refused after
  ``LXL_BROWSER_SESSION_LIFETIME``; a form older than that asks to be reloaded.
- **Signed in** (``keep_on_server``, called by whatever signs a browser in): the cookie
  carries only a random 256-bit session id and the data lives in Flask-Session's store (the
  ``sessions`` table or Redis), where signing out destroys it. The row lasts
  ``LXL_SESSION_LIFETIME`` with "Stay signed in" (a permanent session), else
  ``LXL_BROWSER_SESSION_LIFETIME``; Redis expires its keys itself, and ``flask lxl purge``
  deletes expired rows from the table. Signing out makes the session anonymous again.

The cookie's value says which it is: a session id never contains a dot, signed data always
does.
"""

from datetime import datetime, timezone

from flask import current_app, session
from flask.sessions import SecureCookieSessionInterface
from flask_session.redis import RedisSessionInterface
from flask_session.sqlalchemy import SqlAlchemySessionInterface
from itsdangerous import BadSignature
from sqlalchemy import delete

from . import health
from .sites import IDP, NGO, current_site

COOKIE_NAMES = {IDP: "lxl_session", NGO: "ngo_session"}
TABLE = "sessions"
# The key that moves a session to the server; session ids are token_urlsafe (no dots).
ON_SERVER = "_on_server"


def keep_on_server():
    """Keep this browser's session on the server from now on: it is signed in."""
    session[ON_SERVER] = True


def lifetime(remember):
    """Return how long a signed-in session lasts, with or without "Stay signed in"."""
    config = current_app.config
    return config["LXL_SESSION_LIFETIME"] if remember else config["LXL_BROWSER_SESSION_LIFETIME"]


class _SignedOrStored:
    """Mixin for a Flask-Session interface: per-site cookie, server-side only when signed in."""

    def get_cookie_name(self, app):
        return COOKIE_NAMES.get(current_site(), COOKIE_NAMES[IDP])

    def open_session(self, app, request):
        try:
            return self._open_session(app, request)
        except health.OUTAGE_CANDIDATES as error:
            if health.unavailable_service(error) is None:
                raise
            # The store is down: an empty session that is never saved stands in, so that
            # the 503 page may read it; the request is answered with that outage before
            # anything else runs (health.answer_noted_outage).
            health.note_outage(error)
            return self.make_null_session(app)

    def _open_session(self, app, request):
        # Flask-Session 0.8 reads app.config["SESSION_COOKIE_NAME"] directly; read ours.
        # The id is 256 random bits, unguessable without a signature (Flask-Session 0.8
        # deprecates signing it).
        value = request.cookies.get(self.get_cookie_name(app), "")
        if value and "." not in value:
            data = self._retrieve_session_data(self._get_store_id(value))
            if data is not None:
                opened = self.session_class(data, sid=value)
                opened.stored = True
                return opened
        data = self._signed_data(app, value) if value else None
        opened = self.session_class(data, sid=self._generate_sid(self.sid_length))
        opened.stored = False
        # A cookie that is expired, forged or names a purged row is replaced or dropped.
        opened.modified = bool(value) and data is None
        return opened

    def save_session(self, app, session, response):
        if health.noted_outage() is not None:
            return  # a store that is down is not written to: the session stays as it was
        if ON_SERVER in session:  # (``in``: only what the view read makes it Vary: Cookie)
            return super().save_session(app, session, response)
        if session.stored:  # signed out: the stored data goes
            self._delete_session(self._get_store_id(session.sid))
        name, domain, path = (self.get_cookie_name(app), self.get_cookie_domain(app),
                              self.get_cookie_path(app))
        if session.accessed or session.modified:
            response.vary.add("Cookie")
        if not session:
            if session.modified or session.stored:
                response.delete_cookie(name, domain=domain, path=path)
            return
        if session.modified or session.stored:
            value = self._serializer(app).dumps(dict(session))
            response.set_cookie(name, value, httponly=self.get_cookie_httponly(app),
                                secure=self.get_cookie_secure(app),
                                samesite=self.get_cookie_samesite(app),
                                domain=domain, path=path)

    def _upsert_session(self, session_lifetime, session, store_id):
        # Flask-Session keeps every row PERMANENT_SESSION_LIFETIME; a session that ends
        # with the browser must not outlive the short lifetime on the server either.
        super()._upsert_session(lifetime(session.permanent), session, store_id)

    def _signed_data(self, app, value):
        max_age = app.config["LXL_BROWSER_SESSION_LIFETIME"].total_seconds()
        try:
            return self._serializer(app).loads(value, max_age=max_age)
        except BadSignature:
            return None

    @staticmethod
    def _serializer(app):
        return SecureCookieSessionInterface().get_signing_serializer(app)


class SiteSqlAlchemySessionInterface(_SignedOrStored, SqlAlchemySessionInterface):
    def __init__(self, app, client, **options):
        # Flask-Session declares its model on db.Model at every construction; a second app
        # in one process (the test suite) must be allowed to declare it again.
        if (table := client.metadata.tables.get(TABLE)) is not None:
            client.metadata.remove(table)
        super().__init__(app, client, table=TABLE, **options)

    def purge_expired(self):
        """Delete the expired rows of the sessions table; return how many there were."""
        model = self.sql_session_model
        # Flask-Session stores naive UTC times.
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        purged = self.client.session.execute(
            delete(model).where(model.expiry <= now)).rowcount
        self.client.session.commit()
        return purged


class SiteRedisSessionInterface(_SignedOrStored, RedisSessionInterface):
    def purge_expired(self):
        """Return 0: Redis expires every stored session by itself."""
        return 0


def init_app(app, db):
    """Install the per-site sessions with their store on the configured backend."""
    options = dict(permanent=False, key_prefix=app.config.get("SESSION_KEY_PREFIX", "session:"))
    if app.config["SESSION_TYPE"] == "redis":
        interface = SiteRedisSessionInterface(app, client=app.config["SESSION_REDIS"], **options)
    else:
        interface = SiteSqlAlchemySessionInterface(app, client=db, **options)
    app.session_interface = interface
