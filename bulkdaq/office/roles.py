"""Who may do what in an office's PostgreSQL registry (docs/office.md, "Roles").

The registry's owner migrates the schema and registers site keys and officers. Everyone else gets
exactly what their job needs, and nobody but the owner gets UPDATE, DELETE or TRUNCATE on anything:

* a **terminal's role** reads and appends only its own site's shipments, events, chain heads, bundle
  manifests and conflicts (row-level security: the rows whose ``site`` is its site), reads the evidence
  documents its own site's events cite, and appends any;
* the **office's role** (officers' workstations, the board's writer) reads everything and appends
  events and evidence: an officer's step.

The append-only triggers refuse UPDATE and DELETE even to the owner; the grants make sure no
application role could drop them.
"""

from __future__ import annotations

import sqlalchemy as sa

from bulkdaq.errors import BulkdaqError
from bulkdaq.shipments.registry import ShipmentRegistry


def registered_sites(registry: ShipmentRegistry) -> set[str]:
    with registry.database.reading() as db:
        return {row[0] for row in db.execute(sa.text("SELECT site FROM site_keys"))}

# Tables whose rows carry a site, and are seen by a terminal only for its own site (the migrations
# r0002 and r0007 enable row-level security on each).
SITE_ROWS_TABLES = ("shipments", "events", "chain_heads", "yard_heads", "bundle_manifests", "push_conflicts")
READ_ONLY_TABLES = ("site_keys", "officers", "officer_revocations", "signing_key", "alembic_version")


class RoleRefused(BulkdaqError, ValueError):
    """Roles can be granted only in an office's PostgreSQL registry, by its owner, to an existing role."""


def _grant(registry: ShipmentRegistry, role: str, statements: list[str]) -> None:
    if registry.database.dialect != "postgresql":
        raise RoleRefused(f"{registry.path}: roles are granted in an office's PostgreSQL registry; a SQLite registry has none")
    with registry.database.writing() as db:
        if db.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).fetchone() is None:
            raise RoleRefused(f"{registry.database.where}: no role {role!r}; create it first (CREATE ROLE {role} LOGIN PASSWORD …)")
        for statement in statements:
            db.exec_driver_sql(statement)


def _quote(registry: ShipmentRegistry, role: str) -> str:
    return registry.database.engine.dialect.identifier_preparer.quote_identifier(role)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def grant_terminal(registry: ShipmentRegistry, role: str, site: str) -> None:
    """Let `role` push for `site`: read and append that site's rows only. The site's key must be registered
    first (`register_site_key`), so a mistyped site name is refused here, not at the terminal's first push."""
    if site not in registered_sites(registry):
        known = ", ".join(sorted(registered_sites(registry))) or "none yet"
        raise RoleRefused(f"site {site!r} has no key registered at the office (registered: {known}); "
                          "register its key first: `bulkdaq office add-site SITE --public-key site.pub`")
    who = _quote(registry, role)
    statements = [
        f"GRANT SELECT, INSERT ON {', '.join(SITE_ROWS_TABLES)}, evidence TO {who}",
        f"GRANT SELECT ON {', '.join(READ_ONLY_TABLES)} TO {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}",
    ]
    policies = {table: f"USING (site = {_literal(site)}) WITH CHECK (site = {_literal(site)})" for table in SITE_ROWS_TABLES}
    # Documents are not per site: the role reads those its own site's events cite (events' own policy applies
    # inside the test), and appends any.
    policies["evidence"] = (f"USING (EXISTS (SELECT 1 FROM events e WHERE e.site = {_literal(site)} AND strpos(e.evidence, evidence.hash) > 0)) "
                            "WITH CHECK (true)")
    for table, rule in policies.items():
        statements += _policy(registry, f"{role} site {table}", table, who, rule)
    statements += [f"DROP POLICY IF EXISTS {_quote(registry, role + ' append evidence')} ON evidence"]  # r0006's stopgap, now covered
    _grant(registry, role, statements)


def _policy(registry: ShipmentRegistry, name: str, table: str, who: str, rule: str) -> list[str]:
    """A policy made anew (granting again is how a role gets what a newer revision gives)."""
    policy = _quote(registry, name)
    return [f"DROP POLICY IF EXISTS {policy} ON {table}", f"CREATE POLICY {policy} ON {table} TO {who} {rule}"]


def grant_office(registry: ShipmentRegistry, role: str) -> None:
    """Let `role` read every site and record officers' steps (events and evidence)."""
    who = _quote(registry, role)
    statements = [
        f"GRANT SELECT ON {', '.join(SITE_ROWS_TABLES)}, evidence, {', '.join(READ_ONLY_TABLES)} TO {who}",
        f"GRANT INSERT ON events, evidence TO {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}",
    ]
    for table in (*SITE_ROWS_TABLES, "evidence"):
        statements += _policy(registry, f"{role} all {table}", table, who, "USING (true) WITH CHECK (true)")
    _grant(registry, role, statements)


__all__ = ["RoleRefused", "grant_office", "grant_terminal"]
