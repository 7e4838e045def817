"""Server-side sessions (Flask-Session), one cookie per site.

The IdP and the NGO site share a process but not a cookie policy: each site has its own
session cookie name, so neither ever reads the other's session. Both are ``HttpOnly``,
``Secure`` and ``SameSite=Lax``; a session ends with the browser unless it is made permanent
("Stay signed in").
"""

from flask_session.redis import RedisSessionInterface
from flask_session.sqlalchemy import SqlAlchemySessionInterface

from .sites import IDP, NGO, current_site

COOKIE_NAMES = {IDP: "lxl_session", NGO: "ngo_session"}
TABLE = "sessions"


class _PerSiteCookie:
    """Mixin for a Flask-Session interface: pick the cookie name by the request's site."""

    def get_cookie_name(self, app):
        return COOKIE_NAMES.get(current_site(), COOKIE_NAMES[IDP])

    def open_session(self, app, request):
        # Flask-Session 0.8 reads app.config["SESSION_COOKIE_NAME"] directly; read ours.
        # The id is 256 random bits, unguessable without a signature (Flask-Session 0.8
        # deprecates signing it).
        sid = request.cookies.get(self.get_cookie_name(app))
        data = self._retrieve_session_data(self._get_store_id(sid)) if sid else None
        if data is not None:
            return self.session_class(data, sid=sid)
        return self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)


class SiteSqlAlchemySessionInterface(_PerSiteCookie, SqlAlchemySessionInterface):
    def __init__(self, app, client, **options):
        # Flask-Session declares its model on db.Model at every construction; a second app
        # in one process (the test suite) must be allowed to declare it again.
        if (table := client.metadata.tables.get(TABLE)) is not None:
            client.metadata.remove(table)
        super().__init__(app, client, table=TABLE, **options)


class SiteRedisSessionInterface(_PerSiteCookie, RedisSessionInterface):
    pass


def init_app(app, db):
    """Install server-side sessions with per-site cookies on the configured backend."""
    options = dict(permanent=False)
    if app.config["SESSION_TYPE"] == "redis":
        interface = SiteRedisSessionInterface(app, client=app.config["SESSION_REDIS"], **options)
    else:
        interface = SiteSqlAlchemySessionInterface(app, client=db, **options)
    app.session_interface = interface
