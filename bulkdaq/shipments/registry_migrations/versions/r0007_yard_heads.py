"""The yard ledger's heads at the office: ``yard_heads``, like ``chain_heads`` but for the bonded yard's
ledger of entries (docs/yard.md). A ledger rewritten with the site key after a head left the terminal
contradicts that head, which the office keeps; the yard's `verify --head` takes it.

Roles of terminals granted before this revision read and append their own site's yard heads (their
policy on ``chain_heads`` is copied).

Revision ID: r0007
Revises: r0006
"""

from __future__ import annotations

from alembic import op

revision = "r0007"
down_revision = "r0006"
branch_labels = None
depends_on = None

_TABLE = ("CREATE TABLE yard_heads (site TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL, time_ms BIGINT NOT NULL, "
          "signature TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (site, seq))")
_SQLITE = [
    f"CREATE TRIGGER yard_heads_no_{verb.lower()} BEFORE {verb} ON yard_heads "
    "BEGIN SELECT RAISE(ABORT, 'yard_heads are append-only: history is never changed'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES = [
    "CREATE TRIGGER yard_heads_append_only BEFORE UPDATE OR DELETE ON yard_heads FOR EACH ROW EXECUTE FUNCTION bulkdaq_append_only()",
    "CREATE TRIGGER yard_heads_no_truncate BEFORE TRUNCATE ON yard_heads FOR EACH STATEMENT EXECUTE FUNCTION bulkdaq_append_only()",
    "CREATE TRIGGER yard_heads_received_at BEFORE INSERT ON yard_heads FOR EACH ROW EXECUTE FUNCTION bulkdaq_received_at()",
    "REVOKE ALL ON yard_heads FROM PUBLIC",
    "ALTER TABLE yard_heads ENABLE ROW LEVEL SECURITY",
    """DO $$
DECLARE
    held RECORD;
BEGIN
    FOR held IN SELECT policyname, roles, qual, with_check FROM pg_policies WHERE tablename = 'chain_heads' LOOP
        EXECUTE format('CREATE POLICY %I ON yard_heads TO %s USING (%s) WITH CHECK (%s)',
                       replace(held.policyname, 'chain_heads', 'yard_heads'), array_to_string(held.roles, ', '),
                       held.qual, coalesce(held.with_check, held.qual));
    END LOOP;
    FOR held IN SELECT DISTINCT grantee, privilege_type FROM information_schema.role_table_grants
                WHERE table_name = 'chain_heads' AND grantee <> current_user AND privilege_type IN ('SELECT', 'INSERT') LOOP
        EXECUTE format('GRANT %s ON yard_heads TO %I', held.privilege_type, held.grantee);
    END LOOP;
END $$""",
]


def upgrade() -> None:
    op.execute(_TABLE)
    for statement in _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)
