"""The One-Tap card's cooldown: a card the user closed stays quiet for a while, per client.

Google Identity Services' exponential cooldown: the n-th closing in a row quiets that site's
card for ``STEPS_SECONDS[min(n, 4) - 1]`` — 2 hours, 1 day, 1 week, then 4 weeks each time.
A sign-in through the card clears the count (``clear``). So does a long quiet: once a row's
quiet ended ``FORGET_AFTER_SECONDS`` (90 days) ago, the next closing counts as the first
again, and ``purge`` deletes the row, so the count never depends on when purge last ran.
"""

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import PromptCooldown, epoch

HOUR = 3600
DAY = 24 * HOUR
STEPS_SECONDS = (2 * HOUR, DAY, 7 * DAY, 28 * DAY)
FORGET_AFTER_SECONDS = 90 * DAY


def find(user, client_id):
    """Return the user's cooldown row for ``client_id``, or ``None``."""
    return db.session.scalar(db.select(PromptCooldown).filter_by(user_id=user.id,
                                                                 client_id=client_id))


def is_quiet(user, client_id):
    """True while a closed card of ``client_id`` must not show to ``user``."""
    row = find(user, client_id)
    return row is not None and row.quiet_until > epoch()


def dismissed(user, client_id):
    """Count one more closing of the card; return when its quiet ends (epoch seconds)."""
    try:
        return _count_closing(user, client_id)
    except IntegrityError:
        # The same person closed the card in two tabs at once: the other request created
        # the row between our look-up and our insert. Count this closing on that row.
        db.session.rollback()
        return _count_closing(user, client_id)


def _count_closing(user, client_id):
    now = epoch()
    row = find(user, client_id)
    if row is None:
        row = PromptCooldown(user_id=user.id, client_id=client_id, dismissals=0,
                             quiet_until=now)
        db.session.add(row)
    elif row.quiet_until + FORGET_AFTER_SECONDS < now:
        row.dismissals = 0  # forgotten, whether or not purge has deleted the row yet
    row.dismissals += 1
    row.quiet_until = now + STEPS_SECONDS[min(row.dismissals, len(STEPS_SECONDS)) - 1]
    db.session.commit()
    return row.quiet_until


def clear(user, client_id):
    """Forget the user's closings of ``client_id``'s card: they signed in through it."""
    db.session.execute(db.delete(PromptCooldown).filter_by(user_id=user.id,
                                                           client_id=client_id))
    db.session.commit()


def forgotten(now):
    """SQL: the rows whose quiet ended more than ``FORGET_AFTER_SECONDS`` before ``now``."""
    return PromptCooldown.quiet_until + FORGET_AFTER_SECONDS < now
