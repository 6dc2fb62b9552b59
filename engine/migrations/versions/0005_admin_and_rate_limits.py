"""Administrators and a rate-limit table shared by every worker

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import engine.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing users are not administrators; `pathways user add --admin` or the admin page make one.
    # A plain ALTER TABLE ... ADD COLUMN, never a copy of the table: on SQLite a copy means dropping
    # `users`, which the foreign keys pointing at it refuse once there is data.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('admin', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('rate_limit_hits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bucket', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('at', engine.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_hits_key', ['bucket', 'key_hash', 'at'], unique=False)
        batch_op.create_index('ix_rate_limit_hits_at', ['bucket', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_hits_at')
        batch_op.drop_index('ix_rate_limit_hits_key')
    op.drop_table('rate_limit_hits')

    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the same reason.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('admin')
