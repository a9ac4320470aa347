"""Case work: HTCDS case statuses with a closing outcome, case notes and follow-up tasks,
the history of corrections to a person's details, and notices that point at a case.

Existing open cases become active. The case status constraint changes, so SQLite rebuilds
the cases table (migrations/env.py turns foreign keys off for that).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_STATUSES = "status IN ('active', 'follow_up', 'closed', 'closed_referred', 'merged')"
OLD_STATUSES = "status IN ('open', 'merged', 'closed')"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cases_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=10),
                              type_=sa.String(length=16), existing_nullable=False)
        batch_op.add_column(sa.Column('outcome', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE cases SET status = 'active' WHERE status = 'open'")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_cases_status'), NEW_STATUSES)
    op.create_table(
        'case_notes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('note', 'reopened')", name=op.f('ck_case_notes_kind')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_case_notes_author_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_notes_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes')))
    op.create_index(op.f('ix_case_notes_case_id'), 'case_notes', ['case_id'], unique=False)
    op.create_table(
        'case_tasks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('team_id', sa.Uuid(), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=False),
        sa.Column('assignee_id', sa.Uuid(), nullable=False),
        sa.Column('title', sa.LargeBinary(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('due_notice_at', sa.DateTime(), nullable=True),
        sa.Column('overdue_notice_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['assignee_id'], ['users.id'],
                                name=op.f('fk_case_tasks_assignee_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_tasks_case_id_cases')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_case_tasks_created_by_users')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'],
                                name=op.f('fk_case_tasks_team_id_teams')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_tasks')))
    for column in ('assignee_id', 'case_id', 'due_on', 'team_id'):
        op.create_index(op.f(f'ix_case_tasks_{column}'), 'case_tasks', [column], unique=False)
    op.create_table(
        'person_changes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('changed_by', sa.Uuid(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('fields', sa.String(length=200), nullable=False),
        sa.Column('previous', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['changed_by'], ['users.id'],
                                name=op.f('fk_person_changes_changed_by_users')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_person_changes_person_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_changes')))
    op.create_index(op.f('ix_person_changes_person_id'), 'person_changes', ['person_id'],
                    unique=False)
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_notices_case_id_cases'), 'cases', ['case_id'],
                                    ['id'])


def downgrade() -> None:
    """Downgrade schema (reopens closed cases' status as the old 'closed'; notes, tasks and
    the correction history go)."""
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_notices_case_id_cases'), type_='foreignkey')
        batch_op.drop_column('case_id')
    op.drop_index(op.f('ix_person_changes_person_id'), table_name='person_changes')
    op.drop_table('person_changes')
    for column in ('assignee_id', 'case_id', 'due_on', 'team_id'):
        op.drop_index(op.f(f'ix_case_tasks_{column}'), table_name='case_tasks')
    op.drop_table('case_tasks')
    op.drop_index(op.f('ix_case_notes_case_id'), table_name='case_notes')
    op.drop_table('case_notes')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cases_status'), type_='check')
    op.execute("UPDATE cases SET status = 'open' WHERE status IN ('active', 'follow_up')")
    op.execute("UPDATE cases SET status = 'closed' WHERE status = 'closed_referred'")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('outcome')
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=10), existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_cases_status'), OLD_STATUSES)
