"""Token families, revoked as one and checked at every use

Revision ID: 938c79e329ce
Revises: abc64ea52196
Create Date: 2026-11-30 21:27:40.000000

A replayed code or refresh token revokes its family; a token saved after that (by a request
that raced the replay) is refused because its family is, not because its own row was marked.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '938c79e329ce'
down_revision = 'abc64ea52196'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('token_families',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    # Every family already named by a code or a token gets its row, unrevoked: tokens revoked
    # before this revision stay revoked by their own columns.
    op.execute(
        "INSERT INTO token_families (id, created_at) "
        "SELECT family, MIN(created_at) FROM ("
        " SELECT family, created_at FROM authorization_codes"
        " UNION ALL SELECT family, issued_at FROM tokens"
        ") AS named GROUP BY family"
    )
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_authorization_codes_family',
                                    'token_families', ['family'], ['id'])

    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_tokens_family',
                                    'token_families', ['family'], ['id'])


def downgrade():
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tokens_family',
                                 type_='foreignkey')

    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_authorization_codes_family',
                                 type_='foreignkey')

    # Carry each family's revocation back onto its tokens, where it lived before.
    op.execute(
        "UPDATE tokens SET access_token_revoked_at = token_families.revoked_at, "
        "refresh_token_revoked_at = token_families.revoked_at FROM token_families "
        "WHERE token_families.id = tokens.family AND token_families.revoked_at IS NOT NULL "
        "AND tokens.refresh_token_revoked_at = 0"
    )
    op.drop_table('token_families')
