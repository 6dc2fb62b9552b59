"""Inbox indexes matching the two halves of the inbox query (open work by role; work assigned to me)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_inbox')
        batch_op.drop_index('ix_work_items_assignee')
        batch_op.create_index('ix_work_items_open', ['sandbox', 'assignee_id', 'role', 'pathway_id', 'due_at', 'id'],
                                unique=False)
        batch_op.create_index('ix_work_items_mine', ['assignee_id', 'sandbox', 'due_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_mine')
        batch_op.drop_index('ix_work_items_open')
        batch_op.create_index('ix_work_items_assignee', ['assignee_id', 'due_at'], unique=False)
        batch_op.create_index('ix_work_items_inbox', ['sandbox', 'role', 'due_at'], unique=False)
