"""The NGO site's shifts and donations

The sample NGO site's own tables, keyed by the supporter's pairwise sub.

Revision ID: 7d3e9a41c2b8
Revises: 938c79e329ce
Create Date: 2026-11-30 22:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3e9a41c2b8'
down_revision = '938c79e329ce'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ngo_volunteer_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('task', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ngo_volunteer_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ngo_volunteer_shifts_sub'), ['sub'], unique=False)

    op.create_table('ngo_donations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ngo_donations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ngo_donations_sub'), ['sub'], unique=False)


def downgrade():
    with op.batch_alter_table('ngo_donations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ngo_donations_sub'))

    op.drop_table('ngo_donations')
    with op.batch_alter_table('ngo_volunteer_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ngo_volunteer_shifts_sub'))

    op.drop_table('ngo_volunteer_shifts')
