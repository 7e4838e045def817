"""Index authorization codes by user

A password change revokes the families of every code and token of a user
(tokens.revoke_all_of), which looks the user's codes up by user_id: with a million codes that
was a scan of the whole table (bench/growth; its smoke run flags it at any size).

Revision ID: d5b1e7a3c9f0
Revises: c4e8a1f2d6b3
Create Date: 2026-12-01 06:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd5b1e7a3c9f0'
down_revision = 'c4e8a1f2d6b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorization_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorization_codes_user_id'))
