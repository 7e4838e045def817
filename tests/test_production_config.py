"""Production mode (``LXL_ENV=production``) refuses to start without what instances share."""

import pytest

from app import create_app
from app.config import SECRET_KEY_MIN_LENGTH

# Nothing listens on port 1: creating the app must not need the services themselves.
PRODUCTION_ENV = {
    "LXL_ENV": "production",
    "LXL_SECRET_KEY": "s" * SECRET_KEY_MIN_LENGTH,
    "LXL_IDP_ORIGIN": "https://id.example.test",
    "LXL_NGO_ORIGIN": "https://ngo.example.test",
    "LXL_DATABASE_URL": "postgresql+psycopg://lxl@127.0.0.1:1/lxl",
    "LXL_REDIS_URL": "redis://127.0.0.1:1/0",
    "LXL_SMTP_URL": "smtp://mailer:password@127.0.0.1:1",
    "LXL_MAIL_FROM": "LxL ID <no-reply@id.example.test>",
}


@pytest.fixture
def production_env(monkeypatch):
    """Set a complete production environment; return a function that changes one variable."""
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    for unset in ("LXL_PROXY_HOPS", "LXL_RATELIMIT_STORAGE_URL"):
        monkeypatch.delenv(unset, raising=False)

    def change(name, value):
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)
    return change


def test_a_complete_production_environment_starts(production_env):
    app = create_app()
    assert app.config["LXL_ENV"] == "production"
    assert app.config["SESSION_TYPE"] == "redis"
    assert app.config["RATELIMIT_STORAGE_URI"] == PRODUCTION_ENV["LXL_REDIS_URL"]
    # One proxy in front is trusted; a pooled PostgreSQL connection is checked before use.
    assert app.config["LXL_PROXY_HOPS"] == 1
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_loopback_origins_may_use_plain_http(production_env):
    production_env("LXL_IDP_ORIGIN", "http://id.localhost:5000")
    production_env("LXL_NGO_ORIGIN", "http://ngo.localhost:5000")
    assert create_app().config["LXL_IDP_ORIGIN"] == "http://id.localhost:5000"


@pytest.mark.parametrize("name, value, says", [
    ("LXL_SECRET_KEY", None, "needs LXL_SECRET_KEY"),
    ("LXL_SECRET_KEY", "s" * (SECRET_KEY_MIN_LENGTH - 1), "at least 32 characters"),
    ("LXL_IDP_ORIGIN", "http://id.example.test", "LXL_IDP_ORIGIN='http://id.example.test'.*https"),
    ("LXL_NGO_ORIGIN", "http://ngo.example.test", "LXL_NGO_ORIGIN=.*must use https"),
    ("LXL_DATABASE_URL", None, "needs PostgreSQL.*LXL_DATABASE_URL=postgresql"),
    ("LXL_DATABASE_URL", "sqlite:////tmp/lxl.db", "needs PostgreSQL"),
    ("LXL_REDIS_URL", None, "needs Redis.*LXL_REDIS_URL=redis://"),
    ("LXL_ENV", "prod", "LXL_ENV='prod' is neither of development, production"),
    ("LXL_RATELIMIT_STORAGE_URL", "memory://",
     "LXL_RATELIMIT_STORAGE_URL is a memory:// URL.*shared by every instance in Redis"),
    ("LXL_PROXY_HOPS", "two", "LXL_PROXY_HOPS='two' is not a number of proxies.*"
                              "append to X-Forwarded-For"),
    ("LXL_PROXY_HOPS", "-1", "LXL_PROXY_HOPS='-1' is not a number of proxies"),
])
def test_production_refuses_to_start_without_what_it_needs(production_env, name, value, says):
    production_env(name, value)
    with pytest.raises(RuntimeError, match=says):
        create_app()


def test_the_rate_limit_storage_refusal_shows_no_password(production_env):
    production_env("LXL_RATELIMIT_STORAGE_URL", "memcached://counter:hunter2@127.0.0.1:1")
    with pytest.raises(RuntimeError, match="is a memcached:// URL") as refusal:
        create_app()
    assert "hunter2" not in str(refusal.value)


def test_a_rate_limit_storage_of_its_own_on_redis_is_accepted(production_env):
    production_env("LXL_RATELIMIT_STORAGE_URL", "rediss://127.0.0.1:1/1")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "rediss://127.0.0.1:1/1"


def test_the_secret_refusal_says_how_to_make_one(production_env):
    production_env("LXL_SECRET_KEY", None)
    with pytest.raises(RuntimeError, match=r"secrets\.token_urlsafe\(48\)"):
        create_app()


@pytest.mark.parametrize("environment, hops", [("production", 1), ("development", 0)])
def test_proxy_hops_default_to_one_in_production_only(production_env, environment, hops):
    production_env("LXL_ENV", environment)
    assert create_app().config["LXL_PROXY_HOPS"] == hops
    production_env("LXL_PROXY_HOPS", "2")
    assert create_app().config["LXL_PROXY_HOPS"] == 2
