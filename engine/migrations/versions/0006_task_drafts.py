"""Drafts of task forms saved by practitioners

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import engine.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A draft goes with its work item (ON DELETE CASCADE): completing the task, or the task no longer
    # being open, removes it in the same transaction (SQLite enforces this: engine/db.py turns
    # foreign keys on for every connection). So, on SQLite, a later migration that rebuilds
    # work_items with batch_alter_table (copy, DROP, rename) also drops every draft: work in progress,
    # but say so in that migration's notes.
    op.create_table('task_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.Column('case_version', sa.Integer(), nullable=False),
    sa.Column('saved_at', engine.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('work_item_id', 'user_id', name='uq_task_draft_user')
    )
    with op.batch_alter_table('task_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_drafts_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_drafts_user_id'))

    op.drop_table('task_drafts')
