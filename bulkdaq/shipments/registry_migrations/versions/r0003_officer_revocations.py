"""Officers' keys can be revoked, and the office's database stamps when it recorded each event.

* ``officer_revocations``: a key revoked from a moment on (lost, stolen, an officer who left), append-only.
  No decision signed with it is recorded after that moment, and verification names any that was.
* ``events.recorded_at``: when the registry recorded the event. On PostgreSQL a trigger sets it from the
  server's clock whatever the writer sends, so a decision cannot be back-dated before a revocation by
  writing an earlier time; on SQLite (one terminal) the application writes it.
* The roles that could read the officers before this revision can read the revocations too.

Revision ID: r0003
Revises: r0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None

_TABLE = ("CREATE TABLE officer_revocations (fingerprint TEXT PRIMARY KEY, revoked_at TEXT NOT NULL, reason TEXT NOT NULL, "
          "revoked_by TEXT NOT NULL)")
_SQLITE_APPEND_ONLY = [
    f"CREATE TRIGGER officer_revocations_no_{verb.lower()} BEFORE {verb} ON officer_revocations "
    "BEGIN SELECT RAISE(ABORT, 'officer_revocations are append-only: history is never changed'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES = [
    "CREATE TRIGGER officer_revocations_append_only BEFORE UPDATE OR DELETE ON officer_revocations "
    "FOR EACH ROW EXECUTE FUNCTION bulkdaq_append_only()",
    "CREATE TRIGGER officer_revocations_no_truncate BEFORE TRUNCATE ON officer_revocations "
    "FOR EACH STATEMENT EXECUTE FUNCTION bulkdaq_append_only()",
    "REVOKE ALL ON officer_revocations FROM PUBLIC",
    """CREATE FUNCTION bulkdaq_events_recorded_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.recorded_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    RETURN NEW;
END $$""",
    "CREATE TRIGGER events_recorded_at BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION bulkdaq_events_recorded_at()",
    # whoever could read the officers (a terminal's role, the officers' role) reads their revocations too
    """DO $$
DECLARE
    reader TEXT;
BEGIN
    FOR reader IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
                  WHERE table_name = 'officers' AND privilege_type = 'SELECT' AND grantee <> current_user LOOP
        EXECUTE format('GRANT SELECT ON officer_revocations TO %I', reader);
    END LOOP;
END $$""",
]


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if "recorded_at" not in {c["name"] for c in sa.inspect(bind).get_columns("events")}:
        op.execute("ALTER TABLE events ADD COLUMN recorded_at TEXT")
    op.execute(_TABLE)
    for statement in _SQLITE_APPEND_ONLY if dialect == "sqlite" else _POSTGRES:
        op.execute(statement)
