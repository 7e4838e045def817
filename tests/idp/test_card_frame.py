"""The One-Tap card's IdP side: its cooldown, its frame, and the two endpoints its script calls.

What a browser does with the page (the anti-clickjacking guard, the popup) is driven in
Chromium by tests/browser; here, what the IdP decides and sends.
"""

import pytest

from app.extensions import db
from app.idp import prompt_cooldowns
from app.idp.models import PromptCooldown, User

HOUR, DAY, WEEK = 3600, 24 * 3600, 7 * 24 * 3600


class Clock:
    """The cooldown's clock (``prompt_cooldowns.epoch``), moved by hand."""

    def __init__(self, now=1_900_000_000):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Replace the cooldown's clock only: sessions and tokens keep the real one, so a test
    can step weeks ahead without the browser session expiring."""
    fake = Clock()
    monkeypatch.setattr(prompt_cooldowns, "epoch", fake)
    return fake


# --- the cooldown (app/idp/prompt_cooldowns.py) ---------------------------------------------

def test_the_steps_are_gis_2_hours_1_day_1_week_4_weeks():
    assert prompt_cooldowns.STEPS_SECONDS == (2 * HOUR, DAY, WEEK, 4 * WEEK)
    assert prompt_cooldowns.FORGET_AFTER_SECONDS == 90 * DAY


def test_each_closing_quiets_the_card_for_the_next_step_then_4_weeks_each_time(app, clock):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        assert not prompt_cooldowns.is_quiet(ada, "ngo-demo")
        for step in (2 * HOUR, DAY, WEEK, 4 * WEEK, 4 * WEEK, 4 * WEEK):
            assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + step
            clock.now += step - 1
            assert prompt_cooldowns.is_quiet(ada, "ngo-demo")
            clock.now += 1
            assert not prompt_cooldowns.is_quiet(ada, "ngo-demo")
        assert prompt_cooldowns.find(ada, "ngo-demo").dismissals == 6


def test_a_cooldown_is_per_user_and_client(app, clock):
    with app.app_context():
        ada, grace = User.by_email("ada@example.org"), User.by_email("grace@example.org")
        prompt_cooldowns.dismissed(ada, "ngo-demo")
        assert prompt_cooldowns.is_quiet(ada, "ngo-demo")
        assert not prompt_cooldowns.is_quiet(ada, "other-site")
        assert not prompt_cooldowns.is_quiet(grace, "ngo-demo")


def test_clear_starts_the_count_again(app, clock):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        prompt_cooldowns.dismissed(ada, "ngo-demo")
        prompt_cooldowns.dismissed(ada, "ngo-demo")
        prompt_cooldowns.clear(ada, "ngo-demo")
        assert not prompt_cooldowns.is_quiet(ada, "ngo-demo")
        assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + 2 * HOUR


@pytest.mark.parametrize("quiet_for, step", [
    (prompt_cooldowns.FORGET_AFTER_SECONDS, DAY),  # remembered: the second step
    (prompt_cooldowns.FORGET_AFTER_SECONDS + 1, 2 * HOUR),  # forgotten, purged or not
])
def test_a_quiet_of_90_days_forgets_the_count(app, clock, quiet_for, step):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        quiet_until = prompt_cooldowns.dismissed(ada, "ngo-demo")
        clock.now = quiet_until + quiet_for
        assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + step


def test_two_first_closings_at_once_count_twice_on_one_row(app, clock, monkeypatch):
    """The other tab's insert lands between our look-up and our own insert."""
    with app.app_context():
        ada = User.by_email("ada@example.org")
        find = prompt_cooldowns.find
        raced = []

        def find_then_race(user, client_id):
            row = find(user, client_id)
            if not raced:
                raced.append(True)
                with db.engine.begin() as other_tab:
                    other_tab.execute(db.insert(PromptCooldown).values(
                        user_id=user.id, client_id=client_id, dismissals=1,
                        quiet_until=clock.now + 2 * HOUR))
            return row

        monkeypatch.setattr(prompt_cooldowns, "find", find_then_race)
        assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + DAY
        assert find(ada, "ngo-demo").dismissals == 2
