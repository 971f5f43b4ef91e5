"""What an adversarial review of the office found the database itself should refuse (PostgreSQL; a SQLite
terminal registry is its operator's own file and keeps the application's checks):

* **Evidence matches its hash.** A document stored under a hash is that hash's document: a CHECK computes
  the SHA-256 of the stored canonical JSON. Before, a role could store a different body first under the
  hash of a document an officer was about to cite, and the officer's history would never verify again.
* **An officer's decision names a registered officer.** A row going to investigating, resolved, certified
  or released must name (``signer``) the key of an officer the office registered; the signature itself is
  checked by bulkdaq, which PostgreSQL cannot do.
* **Arrival by the office's clock.** ``chain_heads.received_at`` is set by the server whatever the writer
  sends, as ``events.recorded_at`` is since r0003.
* **The schema's revision stays.** ``alembic_version`` may be updated by a migration but never emptied:
  an emptied table would make every writer refuse the registry as behind the code.

Revision ID: r0004
Revises: r0003
"""

from __future__ import annotations

from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None

_POSTGRES = [
    "ALTER TABLE evidence ADD CONSTRAINT evidence_matches_its_hash CHECK (hash = encode(sha256(convert_to(body, 'UTF8')), 'hex'))",
    """CREATE FUNCTION bulkdaq_officer_decision_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.to_state IN ('investigating', 'resolved', 'certified', 'released')
       AND NOT EXISTS (SELECT 1 FROM officers WHERE fingerprint = NEW.signer) THEN
        RAISE EXCEPTION 'event #% of % goes to %, an officer''s decision: it must name a registered officer''s key',
            NEW.number, NEW.shipment, NEW.to_state USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$""",
    "CREATE TRIGGER events_officer_decision BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION bulkdaq_officer_decision_signed()",
    """CREATE FUNCTION bulkdaq_received_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.received_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    RETURN NEW;
END $$""",
    "CREATE TRIGGER chain_heads_received_at BEFORE INSERT ON chain_heads FOR EACH ROW EXECUTE FUNCTION bulkdaq_received_at()",
    "CREATE TRIGGER alembic_version_kept BEFORE DELETE ON alembic_version FOR EACH ROW EXECUTE FUNCTION bulkdaq_append_only()",
    "CREATE TRIGGER alembic_version_not_truncated BEFORE TRUNCATE ON alembic_version FOR EACH STATEMENT EXECUTE FUNCTION bulkdaq_append_only()",
    # a terminal's role appends evidence documents but reads no other site's: it loses SELECT on evidence
    """DO $$
DECLARE
    terminal TEXT;
BEGIN
    FOR terminal IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
                    WHERE table_name = 'chain_heads' AND privilege_type = 'INSERT' AND grantee <> current_user LOOP
        EXECUTE format('REVOKE SELECT ON evidence FROM %I', terminal);
    END LOOP;
END $$""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES:
            op.execute(statement)
