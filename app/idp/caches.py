"""Per-process caches of rows every request reads and almost nothing writes (issue 12).

Every authorization, frame and token request reads its client's registration, and every ID
token needs the current signing key; both change only when someone runs ``flask lxl clients
add`` or ``keys rotate`` (or the demo seed). Each app keeps them here, per process:

- **Staleness bound.** An entry is kept at most ``LXL_CACHE_SECONDS`` (default 5); the first
  request after that reads the row again. So a change made by another process or another
  instance is seen everywhere within that many seconds; one made by this process, at once
  (a commit that wrote such a row empties this process's cache, below).
- **What a stale entry can do.** For at most that bound after a rotation, other processes
  still sign with the key just retired — which the JWK Set keeps publishing for
  ``LXL_KEY_RETENTION``, so those tokens verify (the JWK Set itself is never cached: every
  instance publishes a new key the moment it exists). A client's changed registration —
  a web origin or redirect URI taken away — still applies there for at most that bound.
- **Never cached:** what is not found. An unknown ``client_id`` is looked up every time, so
  a newly registered client works at once in every instance.

Entries are copies detached from any database session, read by many threads, never changed.
"""

import time

from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db

EXTENSION = "lxl.caches"
# The session's note of what its transaction wrote, until the commit empties those caches.
_WRITTEN = "lxl.caches.written"
_clock = time.monotonic  # (the tests move it forward)


class Cache:
    """Values loaded by key, each kept at most ``LXL_CACHE_SECONDS``; ``None`` is not kept."""

    def __init__(self):
        self._entries = {}

    def get(self, key, load):
        """Return the value under ``key``, calling ``load()`` if it is missing or too old."""
        now = _clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            return entry[1]
        value = load()
        if value is not None:
            self._entries[key] = (now + current_app.config["LXL_CACHE_SECONDS"], value)
        return value

    def clear(self):
        """Forget every entry: the next request reads the rows again."""
        self._entries = {}


def cache_of(model):
    """Return the current app's cache of ``model``'s rows (one per model, per app)."""
    caches = current_app.extensions.setdefault(EXTENSION, {})
    if model not in caches:
        caches.setdefault(model, Cache())
    return caches[model]


def load_detached(model, *criteria):
    """Return the ``model`` row matching ``criteria`` as an instance of no session, or ``None``.

    Its columns are read as values, so an instance the request's session already holds is
    neither returned nor taken away from it.
    """
    attributes = inspect(model).column_attrs
    row = db.session.execute(db.select(*(attribute.class_attribute for attribute in attributes))
                             .where(*criteria).limit(1)).first()
    if row is None:
        return None
    instance = model(**{attribute.key: value for attribute, value in zip(attributes, row)})
    make_transient_to_detached(instance)  # as if loaded: nothing to write, never a lazy load
    return instance


def _note(session, written):
    session.info.setdefault(_WRITTEN, set()).update(written)


def _flushed(session, _context):
    _note(session, {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)})


def _executed(state):
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        _note(state.session, {state.bind_mapper.class_})


def _committed(session):
    caches = current_app.extensions.get(EXTENSION, {})
    for model in session.info.pop(_WRITTEN, ()):
        if model in caches:
            caches[model].clear()


def _rolled_back(session):
    session.info.pop(_WRITTEN, None)


_LISTENERS = {"after_flush": _flushed, "do_orm_execute": _executed,
              "after_commit": _committed, "after_rollback": _rolled_back}


def init_app(app):
    """Empty this process's cache of a model whenever a commit wrote one of its rows.

    Rows written through the ORM (added, changed, deleted) and ORM ``UPDATE``/``DELETE``
    statements count; every write of ``flask lxl …`` and the demo seed goes through them.
    The listeners are on the app's own session class, shared by every app of the process.
    """
    for name, listener in _LISTENERS.items():
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
