"""The One-Tap card's cooldowns

One row per user and client whose card the user closed: how many times in a row, and until
when the card stays quiet (app/idp/prompt_cooldowns.py).

Revision ID: 5937c1bfb452
Revises: 7d3e9a41c2b8
Create Date: 2026-12-01 02:00:24.704980

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5937c1bfb452'
down_revision = '7d3e9a41c2b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('prompt_cooldowns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('dismissals', sa.Integer(), nullable=False),
    sa.Column('quiet_until', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'client_id')
    )


def downgrade():
    op.drop_table('prompt_cooldowns')
