"""Index tokens by user and by browser session

A password change revokes every token of a user (tokens.revoke_all_of), and signing in or out
revokes the tokens bound to the browser's sessions (tokens.revoke_session_bound): with a
million tokens each was a scan of the whole table (bench/growth).

Revision ID: c27045e3425f
Revises: 5937c1bfb452
Create Date: 2026-12-01 03:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c27045e3425f'
down_revision = '5937c1bfb452'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tokens_browser_session_id'), ['browser_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_tokens_browser_session_id'))
