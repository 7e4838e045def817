"""Times as epoch seconds: users.created_at, consents.granted_at

The IdP keeps every other time as whole seconds since the epoch (models.epoch, as JWT
claims count them); these two were the only datetimes. Values are converted in place:
SQLite stored them as UTC text, PostgreSQL as timestamps without time zone holding UTC.

Revision ID: f9541364a77b
Revises: 55ff4306f241
Create Date: 2026-11-30 21:40:12.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f9541364a77b'
down_revision = '55ff4306f241'
branch_labels = None
depends_on = None

COLUMNS = (("users", "created_at"), ("consents", "granted_at"))


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    for table, column in COLUMNS:
        if _sqlite():
            # Convert the text first: batch mode's CAST(text AS INTEGER) keeps only the year.
            op.execute(f"UPDATE {table} SET {column} = CAST(strftime('%s', {column}) AS INTEGER)")
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.DateTime(), type_=sa.Integer(), existing_nullable=False,
                postgresql_using=f"CAST(EXTRACT(EPOCH FROM {column}) AS INTEGER)")


def downgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.Integer(), type_=sa.DateTime(), existing_nullable=False,
                postgresql_using=f"to_timestamp({column}) AT TIME ZONE 'UTC'")
        if _sqlite():
            op.execute(f"UPDATE {table} SET {column} = datetime({column}, 'unixepoch')")
