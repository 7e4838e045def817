"""Fill the IdP's database fast with a population of signed-in, consented users (bench/growth).

Each user ``j`` of the population gets one row in each of ``users``, ``browser_sessions``
(live, "Stay signed in"), ``consents`` (``ngo-demo``, the demo scope), ``token_families``,
``authorization_codes`` (the used code the tokens came from, which purge keeps while they
live) and ``tokens`` (an access token and a refresh token bound to that session): what a
person who signed in to the demo NGO with LxL ID leaves behind. One user in ``OPTED_OUT``
also has an ``auto_select_opt_outs`` row for ``ngo-demo``. Rows are written in bulk, outside
the app: SQLAlchemy Core ``insert()`` with executemany on SQLite, ``COPY … FROM STDIN`` on
PostgreSQL; every password is one precomputed Argon2 hash.

Every secret of user ``j`` (browser key, refresh token, access token, seeds) is derived
from a per-run salt and ``j``, so the bench can send user ``j``'s cookie or refresh token
without keeping a million of them in memory. Browser keys and tokens are as long as the app's.
"""

import base64
import hashlib
import time

from sqlalchemy import create_engine, func, insert, select, text

from app.idp.models import (
    AuthorizationCode, AutoSelectOptOut, BrowserSession, Consent, Token, TokenFamily, User)

CHUNK = 50_000
CLIENT_ID = "ngo-demo"
SCOPE = "openid email profile"
EMAIL = "growth{}@example.org"
TABLES = {"users": User.__table__, "browser_sessions": BrowserSession.__table__,
          "consents": Consent.__table__, "token_families": TokenFamily.__table__,
          "tokens": Token.__table__, "authorization_codes": AuthorizationCode.__table__,
          "auto_select_opt_outs": AutoSelectOptOut.__table__}
# One user in OPTED_OUT asked ngo-demo's site not to sign them in automatically: their silent
# sign-in answers auto_select_disabled, so the bench never draws them.
OPTED_OUT = 20
# Tables whose ids this module chooses (PostgreSQL's sequences are moved past them); other
# rows take their database's next id, as the app's own inserts (a refresh's new token) do.
SERIAL = ("users", "browser_sessions")


class Population:
    """The users the bench made: where their ids start and how their secrets are derived."""

    def __init__(self, salt, first_user_id, first_session_id, lifetime):
        self.salt = salt
        self.first_user_id = first_user_id
        self.first_session_id = first_session_id
        self.lifetime = lifetime  # seconds a "Stay signed in" session lasts
        self.size = 0

    def _derive(self, kind, j, length=43):
        digest = hashlib.sha256(f"{self.salt}:{kind}:{j}".encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:length]

    def browser_key(self, j):
        """Return user ``j``'s browser key (what its ``lxl_silent`` cookie carries)."""
        return self._derive("key", j)

    def refresh_token(self, j):
        """Return user ``j``'s first refresh token (48 characters, as Authlib's)."""
        return self._derive("refresh", j) + self._derive("refresh2", j)[:5]

    def subject_seed(self, j):
        return self._derive("subject", j)

    def user_id(self, j):
        return self.first_user_id + j

    @staticmethod
    def opted_out(j):
        """True if user ``j`` opted out of automatic sign-in to ``ngo-demo``."""
        return j % OPTED_OUT == OPTED_OUT - 1

    def rows(self, j, now, password_hash):
        """Return user ``j``'s rows of each table (``{table: [rows]}``)."""
        user_id, session_id = self.first_user_id + j, self.first_session_id + j
        family = self._derive("family", j)
        key_hash = hashlib.sha256(self.browser_key(j).encode()).hexdigest()
        rows = {
            "users": {"id": user_id, "email": EMAIL.format(j), "name": f"Growth {j}",
                      "password_hash": password_hash, "email_verified": True,
                      "subject_seed": self.subject_seed(j), "created_at": now},
            "browser_sessions": {
                "id": session_id, "user_id": user_id, "browser_key_hash": key_hash,
                "sid_seed": self._derive("sid", j), "remember": True, "auth_time": now,
                "expires_at": now + self.lifetime, "ended_at": None,
                "user_agent": "Mozilla/5.0 (bench/growth)"},
            "consents": {"user_id": user_id,
                         "client_id": CLIENT_ID, "scope": SCOPE, "granted_at": now},
            "token_families": {"id": family, "created_at": now, "revoked_at": None},
            "tokens": {
                "client_id": CLIENT_ID, "token_type": "Bearer",
                "access_token": self._derive("access", j, 42),
                "refresh_token": self.refresh_token(j), "scope": SCOPE, "issued_at": now,
                "access_token_revoked_at": 0, "refresh_token_revoked_at": 0,
                "expires_in": 3600, "user_id": user_id, "browser_session_id": session_id,
                "family": family, "refresh_token_used_at": None, "offline": False},
            "authorization_codes": {
                "code": self._derive("code", j), "client_id": CLIENT_ID,
                "redirect_uri": "https://ngo.example.org/callback", "response_type": "code",
                "scope": SCOPE, "nonce": self._derive("nonce", j, 22), "auth_time": now,
                "acr": None, "amr": None, "code_challenge": self._derive("challenge", j),
                "code_challenge_method": "S256", "user_id": user_id,
                "browser_session_id": session_id, "created_at": now - 60, "used_at": now - 59,
                "family": family, "max_age_requested": False},
        }
        rows = {name: [row] for name, row in rows.items()}
        rows["auto_select_opt_outs"] = [
            {"user_id": user_id, "client_id": CLIENT_ID, "created_at": now}
        ] if self.opted_out(j) else []
        return rows


def start(url, salt, lifetime):
    """Return an empty ``Population`` whose ids follow the rows already in the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            def next_id(table):
                return (connection.scalar(select(func.max(table.c.id))) or 0) + 1
            return Population(salt, next_id(User.__table__),
                              next_id(BrowserSession.__table__), lifetime)
    finally:
        engine.dispose()


def grow(url, population, size, password_hash, kind):
    """Add users until the population has ``size``; return ``{table: seconds}`` spent."""
    engine = create_engine(url)
    spent = dict.fromkeys([*TABLES, "rows (Python)", "commit, sequences, ANALYZE"], 0.0)
    now = int(time.time())
    try:
        with engine.begin() as connection:
            if kind == "sqlite":  # this connection only: the fill is not a durability test
                connection.exec_driver_sql("PRAGMA synchronous=OFF")
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
            for first in range(population.size, size, CHUNK):
                t0 = time.perf_counter()
                chunk = [population.rows(j, now, password_hash)
                         for j in range(first, min(size, first + CHUNK))]
                spent["rows (Python)"] += time.perf_counter() - t0
                for name, table in TABLES.items():
                    t0 = time.perf_counter()
                    rows = [row for rows in chunk for row in rows[name]]
                    if not rows:
                        continue
                    if kind == "postgres":
                        _copy(connection, name, rows)
                    else:
                        connection.execute(insert(table), rows)
                    spent[name] += time.perf_counter() - t0
            t0 = time.perf_counter()
            if kind == "postgres":
                for name in SERIAL:  # later INSERTs (a refresh's new token) take fresh ids
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))")
        if kind == "postgres":
            # What autovacuum does soon after a bulk load; the planner needs the statistics.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        spent["commit, sequences, ANALYZE"] += time.perf_counter() - t0
    finally:
        engine.dispose()
    population.size = size
    return spent


def _copy(connection, name, rows):
    """``COPY name (columns) FROM STDIN`` the rows, through psycopg's copy protocol."""
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
