"""Codes remember whether max_age was requested

Revision ID: abc64ea52196
Revises: f9541364a77b
Create Date: 2026-11-30 21:27:48.040365

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'abc64ea52196'
down_revision = 'f9541364a77b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        # Codes issued before this revision asked nothing: no auth_time in their ID tokens.
        batch_op.add_column(sa.Column('max_age_requested', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_column('max_age_requested')
