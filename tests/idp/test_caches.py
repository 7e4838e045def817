"""The per-process caches of clients and signing keys (app/idp/caches.py): how stale they get.

Two apps on one database stand for two instances (or two processes) of the IdP: each has
its own caches, as each process does.
"""

import pytest

from app.extensions import db
from app.idp import caches, clients, keys
from app.idp.models import Client
from app.idp.oidc.server import query_client
from tests.helpers import CLIENT_ID, NGO

SECONDS = 5


@pytest.fixture
def clock(monkeypatch):
    """The caches' clock, moved forward by hand: ``clock.advance(seconds)``."""
    class Clock:
        now = 1000.0

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(caches, "_clock", lambda: fake.now)
    return fake


@pytest.fixture
def instances(make_app):
    """Two instances of the IdP on one database."""
    return make_app(LXL_CACHE_SECONDS=SECONDS), make_app(LXL_CACHE_SECONDS=SECONDS)


def current_kid(app):
    with app.app_context():
        return keys.current_key().kid


def published_kids(app):
    with app.app_context():
        return [key["kid"] for key in keys.jwks()["keys"]]


def client_origins(app, client_id=CLIENT_ID):
    with app.app_context():  # a new app context: a new request, nothing memoized in ``g``
        client = query_client(client_id)
        return None if client is None else client.web_origins


def test_a_rotation_elsewhere_is_signed_with_within_the_bound(instances, clock):
    one, other = instances
    old = current_kid(one)
    with other.app_context():
        new = keys.rotate()
    assert current_kid(other) == new, "the instance that rotated signs with the new key at once"
    assert new in published_kids(one), "every instance publishes the new key at once"
    assert current_kid(one) == old, "cached: this instance signs with the retired key..."
    assert old in published_kids(one), "...which is still published"
    clock.advance(SECONDS)
    assert current_kid(one) == new, f"after {SECONDS} s the new key signs everywhere"


def test_a_client_changed_elsewhere_is_seen_within_the_bound(instances, clock):
    one, other = instances
    assert client_origins(one) == [NGO]
    with other.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=CLIENT_ID))
        client.set_client_metadata({**client.client_metadata, "web_origins": []})
        db.session.commit()
    assert client_origins(other) == [], "seen at once where it was changed"
    clock.advance(SECONDS - 1)
    assert client_origins(one) == [NGO], "cached"
    clock.advance(1)
    assert client_origins(one) == [], f"seen everywhere after {SECONDS} s"


def test_a_client_registered_elsewhere_works_at_once(instances, clock):
    one, other = instances
    assert client_origins(one, "new-site") is None
    with other.app_context():
        clients.register("New site", ["https://new.test/cb"], ["https://new.test"],
                         client_id="new-site")
    assert client_origins(one, "new-site") == ["https://new.test"], "no answer was cached"


def test_caching_a_client_takes_nothing_from_the_requests_session(app):
    with app.app_context():
        loaded = db.session.scalar(db.select(Client).filter_by(client_id=CLIENT_ID))
        cached = query_client(CLIENT_ID)  # not cached yet: read now
        assert cached is not loaded and cached not in db.session
        assert loaded in db.session, "what the request loaded itself stays in its session"
