"""Rules a second review found the database must hold itself, since a role's password lets its holder
write rows without bulkdaq (PostgreSQL):

* **Site id prefixes** (r0005): a shipment is declared only in its own site's prefix, and never in
  another site's.
* **Revoked keys sign nothing more**: an event naming a revoked officer's key is refused whatever time
  it states (the revocation is the office's, so is the moment it is judged at).
* **The office's clock** stamps a revocation and a conflict, whatever the writer sends.

Revision ID: r0008
Revises: r0007
"""

from __future__ import annotations

from alembic import op

revision = "r0008"
down_revision = "r0007"
branch_labels = None
depends_on = None

_POSTGRES = [
    """CREATE FUNCTION bulkdaq_shipment_in_its_prefix() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner RECORD;
BEGIN
    FOR owner IN SELECT site, id_prefix FROM site_keys WHERE id_prefix IS NOT NULL LOOP
        IF owner.site = NEW.site AND left(NEW.id, length(owner.id_prefix)) <> owner.id_prefix THEN
            RAISE EXCEPTION 'shipment % of site %: the site''s shipment ids begin with %', NEW.id, NEW.site, owner.id_prefix
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF owner.site IS DISTINCT FROM NEW.site AND left(NEW.id, length(owner.id_prefix)) = owner.id_prefix THEN
            RAISE EXCEPTION 'shipment % of site %: ids beginning with % are site %''s', NEW.id, NEW.site, owner.id_prefix, owner.site
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    RETURN NEW;
END $$""",
    "CREATE TRIGGER shipments_in_their_prefix BEFORE INSERT ON shipments FOR EACH ROW EXECUTE FUNCTION bulkdaq_shipment_in_its_prefix()",
    """CREATE FUNCTION bulkdaq_signer_not_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.signer IS NOT NULL AND EXISTS (SELECT 1 FROM officer_revocations WHERE fingerprint = NEW.signer) THEN
        RAISE EXCEPTION 'event #% of % is signed with officer key %, which is revoked', NEW.number, NEW.shipment, NEW.signer
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$""",
    "CREATE TRIGGER events_signer_not_revoked BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION bulkdaq_signer_not_revoked()",
    """CREATE FUNCTION bulkdaq_revoked_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revoked_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    RETURN NEW;
END $$""",
    "CREATE TRIGGER officer_revocations_revoked_at BEFORE INSERT ON officer_revocations FOR EACH ROW EXECUTE FUNCTION bulkdaq_revoked_at()",
    "CREATE TRIGGER push_conflicts_received_at BEFORE INSERT ON push_conflicts FOR EACH ROW EXECUTE FUNCTION bulkdaq_received_at()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES:
            op.execute(statement)
