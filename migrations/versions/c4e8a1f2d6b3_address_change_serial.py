"""A serial number of address-change requests per account

A link to move an account to a new address names the serial it was made at; a newer request
or the move itself bumps it, so older links stop working (app/idp/verification.py).

Revision ID: c4e8a1f2d6b3
Revises: c27045e3425f
Create Date: 2026-12-01 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a1f2d6b3'
down_revision = 'c27045e3425f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('email_change_serial', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('email_change_serial')
