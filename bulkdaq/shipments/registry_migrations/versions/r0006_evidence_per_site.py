"""Evidence documents seen per site (PostgreSQL): row-level security on ``evidence``, so a terminal's role
reads the documents its own site's events cite (an officer's decision pulled back to the terminal brings
its documents) and no other site's; it may append any.

Roles granted before this revision keep appending (an INSERT policy is made for each here) and read again
once `bulkdaq office grant` is run for them anew; the officers' roles read every document, as before.

Revision ID: r0006
Revises: r0005
"""

from __future__ import annotations

from alembic import op

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None

_POSTGRES = [
    "ALTER TABLE evidence ENABLE ROW LEVEL SECURITY",
    # terminals' roles (they append chain heads): keep appending documents
    """DO $$
DECLARE
    grantee_role TEXT;
BEGIN
    FOR grantee_role IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
                        WHERE table_name = 'chain_heads' AND privilege_type = 'INSERT' AND grantee <> current_user LOOP
        EXECUTE format('CREATE POLICY %I ON evidence FOR INSERT TO %I WITH CHECK (true)', grantee_role || ' append evidence', grantee_role);
    END LOOP;
    FOR grantee_role IN SELECT DISTINCT grantee FROM information_schema.role_table_grants g
                        WHERE table_name = 'events' AND privilege_type = 'INSERT' AND grantee <> current_user
                          AND NOT EXISTS (SELECT 1 FROM information_schema.role_table_grants h
                                          WHERE h.grantee = g.grantee AND h.table_name = 'chain_heads' AND h.privilege_type = 'INSERT') LOOP
        EXECUTE format('CREATE POLICY %I ON evidence TO %I USING (true) WITH CHECK (true)', grantee_role || ' all evidence', grantee_role);
    END LOOP;
END $$""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES:
            op.execute(statement)
