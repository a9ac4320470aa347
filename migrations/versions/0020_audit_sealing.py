"""Audit sealing: requests insert events unsealed (no lock), a sealer chains them.

``audit_events`` gains ``id`` (the insertion order, now the primary key) and ``entry_mac`` (the
MAC an event carries from its insertion); ``seq``, ``prev_mac`` and ``mac`` stay empty until
the sealer fills them, once. Existing events keep their seq as their id. The triggers now
refuse a DELETE, any change to a sealed event, and any change but sealing to an unsealed one.
A rate-limit window is named in its event's details now, so windows lose ``audit_seq``.
Downgrading refuses while events wait unsealed.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | Sequence[str] | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTENT = (
    "id", "at", "actor_id", "actor_role", "actor_org", "action", "object_type", "object_id",
    "outcome", "client_ip", "request_id", "details", "entry_mac",
)
CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT)
POSTGRES_FUNCTION = f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NOT ({CHANGED}) THEN RETURN NEW; END IF;
      RAISE EXCEPTION 'audit_events is append-only';
    END $$"""
OLD_POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"""
SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       WHEN OLD.seq IS NOT NULL OR {SQLITE_CHANGED}
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
)
OLD_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    SQLITE_TRIGGERS[1],
)
INDEXED = ("action", "actor_id", "at", "object_id")


def _columns(sealed_only: bool) -> list[sa.Column]:
    # On SQLite an INTEGER primary key is the rowid, which numbers new rows by itself.
    columns = [] if sealed_only else [sa.Column('id', sa.Integer(), nullable=False)]
    columns += [
        sa.Column('seq', sa.BigInteger(), nullable=sealed_only is False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.String(length=36), nullable=True),
        sa.Column('actor_role', sa.String(length=20), nullable=True),
        sa.Column('actor_org', sa.String(length=36), nullable=True),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('object_type', sa.String(length=40), nullable=True),
        sa.Column('object_id', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('client_ip', sa.String(length=45), nullable=True),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('details', sa.Text(), nullable=False),
    ]
    if not sealed_only:
        columns.append(sa.Column('entry_mac', sa.String(length=64), nullable=True))
    columns += [
        sa.Column('prev_mac', sa.String(length=64), nullable=sealed_only is False),
        sa.Column('mac', sa.String(length=64), nullable=sealed_only is False),
    ]
    return columns


def _rebuild_sqlite(sealed_only: bool) -> None:
    # SQLite cannot change a primary key in place: copy into a new table and swap them.
    # Dropping the old table drops its triggers and indexes too.
    key = 'seq' if sealed_only else 'id'
    op.create_table(
        'audit_events_new',
        *_columns(sealed_only),
        sa.PrimaryKeyConstraint(key, name='pk_audit_events'),
        *([] if sealed_only else [sa.UniqueConstraint('seq', name='uq_audit_events_seq')]),
        sa.UniqueConstraint('prev_mac', name='uq_audit_events_prev_mac'),
    )
    shared = ", ".join(c.name for c in _columns(True))
    source = f"seq AS id, {shared}" if not sealed_only else shared
    target = f"id, {shared}" if not sealed_only else shared
    op.execute(f"INSERT INTO audit_events_new ({target}) SELECT {source} FROM audit_events")
    op.drop_table('audit_events')
    op.rename_table('audit_events_new', 'audit_events')
    for column in INDEXED:
        op.create_index(f'ix_audit_events_{column}', 'audit_events', [column])
    if not sealed_only:
        op.create_index(
            'ix_audit_events_unsealed', 'audit_events', ['id'], sqlite_where=sa.text('seq IS NULL')
        )
    for statement in SQLITE_TRIGGERS if not sealed_only else OLD_SQLITE_TRIGGERS:
        op.execute(statement)




def upgrade() -> None:
    with op.batch_alter_table('rate_limit_windows') as batch:
        batch.drop_index('ix_rate_limit_windows_audit_seq')
        batch.drop_column('audit_seq')
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite(sealed_only=False)
        return
    op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
    op.add_column('audit_events', sa.Column('id', sa.BigInteger(), nullable=True))
    op.add_column('audit_events', sa.Column('entry_mac', sa.String(length=64), nullable=True))
    op.execute("UPDATE audit_events SET id = seq")
    op.drop_constraint('pk_audit_events', 'audit_events', type_='primary')
    op.alter_column('audit_events', 'id', nullable=False)
    op.create_primary_key('pk_audit_events', 'audit_events', ['id'])
    op.execute(
        "CREATE SEQUENCE audit_events_id_seq OWNED BY audit_events.id; "
        "SELECT setval('audit_events_id_seq', COALESCE(MAX(id), 0) + 1, false) "
        "FROM audit_events; "
        "ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT nextval('audit_events_id_seq')"
    )
    for column in ('seq', 'prev_mac', 'mac'):
        op.alter_column('audit_events', column, nullable=True)
    op.create_unique_constraint('uq_audit_events_seq', 'audit_events', ['seq'])
    op.create_index(
        'ix_audit_events_unsealed', 'audit_events', ['id'],
        postgresql_where=sa.text('seq IS NULL'),
    )
    op.execute(POSTGRES_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )


def downgrade() -> None:
    waiting = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM audit_events WHERE seq IS NULL"))
    if waiting:
        raise RuntimeError(
            f"{waiting} audit events wait unsealed: run `flask --app wsgi audit seal` first"
        )
    op.add_column('rate_limit_windows', sa.Column('audit_seq', sa.BigInteger(), nullable=True))
    op.create_index('ix_rate_limit_windows_audit_seq', 'rate_limit_windows', ['audit_seq'])
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite(sealed_only=True)
        return
    op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
    op.drop_index('ix_audit_events_unsealed', 'audit_events')
    op.drop_constraint('uq_audit_events_seq', 'audit_events', type_='unique')
    for column in ('seq', 'prev_mac', 'mac'):
        op.alter_column('audit_events', column, nullable=False)
    op.drop_constraint('pk_audit_events', 'audit_events', type_='primary')
    op.create_primary_key('pk_audit_events', 'audit_events', ['seq'])
    op.drop_column('audit_events', 'entry_mac')
    op.drop_column('audit_events', 'id')
    op.execute(OLD_POSTGRES_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )
