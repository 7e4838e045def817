"""SQLite under concurrent writers: the threads of a process take turns (app/database.py)."""

import threading

from sqlalchemy import text

from app.database import WRITER_TURNS
from app.extensions import db
from app.idp.models import Client


def _writer_turns(app):
    return app.extensions[WRITER_TURNS][None]


def test_a_second_writer_waits_for_the_turn_not_in_sqlites_poll(app):
    turns = _writer_turns(app)
    first_wrote, second_done = threading.Event(), threading.Event()
    release_first = threading.Event()

    def first():
        with app.app_context():
            db.session.execute(text("UPDATE clients SET client_id = client_id"))
            first_wrote.set()
            release_first.wait(10)
            db.session.commit()

    def second():
        with app.app_context():
            db.session.execute(text("UPDATE clients SET client_id = client_id"))
            db.session.commit()
            second_done.set()

    threads = [threading.Thread(target=first)]
    threads[0].start()
    assert first_wrote.wait(10) and turns.lock.locked()  # the first holds the turn
    threads.append(threading.Thread(target=second))
    threads[1].start()
    assert not second_done.wait(0.3)  # queued behind the first's open transaction
    release_first.set()
    assert second_done.wait(10)
    for thread in threads:
        thread.join(10)
    assert not turns.lock.locked()  # given back with each connection


def test_reading_takes_no_turn_and_a_commit_gives_it_back(app):
    turns = _writer_turns(app)
    with app.app_context():
        db.session.scalars(db.select(Client)).all()
        assert not turns.lock.locked()
        db.session.execute(text("UPDATE clients SET client_id = client_id"))
        assert turns.lock.locked()
        db.session.commit()
        assert not turns.lock.locked()
