"""The local mail outbox

On one machine (loopback origins) LxL ID keeps its mail in this table instead of sending it,
so every process sees it at /dev/outbox.json.

Revision ID: 1f0c6a2d9b7e
Revises: 96350055c07d
Create Date: 2026-11-30 21:24:49.810802

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f0c6a2d9b7e'
down_revision = '96350055c07d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('outbox_messages')
