"""Inbox filter choices: an index giving the distinct pathways and tasks of a role's open work, and of
a user's, without reading the rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index('ix_work_items_choices', ['sandbox', 'assignee_id', 'role', 'pathway_id', 'element_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_choices')
