"""The IdP's data (app/idp/models.py)."""

from sqlalchemy import DateTime

from app.extensions import db


def test_every_time_the_idp_stores_is_epoch_seconds(app):
    # One clock (models.epoch), as JWT claims count time: no datetime beside integers.
    # Flask-Session's own table keeps its library's datetime expiry.
    idp_tables = [table for name, table in db.metadata.tables.items() if name != "sessions"]
    datetimes = [f"{table.name}.{column.name}" for table in idp_tables
                 for column in table.columns if isinstance(column.type, DateTime)]
    assert datetimes == []
