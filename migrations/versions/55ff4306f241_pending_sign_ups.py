"""Pending sign-ups

A sign-up becomes an account only once the link mailed to its address is followed.

Revision ID: 55ff4306f241
Revises: 1f0c6a2d9b7e
Create Date: 2026-11-30 21:24:49.810802

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '55ff4306f241'
down_revision = '1f0c6a2d9b7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('next_url', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_signups_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_signups_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_signups_expires_at'))
        batch_op.drop_index(batch_op.f('ix_pending_signups_email'))

    op.drop_table('pending_signups')
