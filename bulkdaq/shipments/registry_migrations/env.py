"""Alembic's entry point for the shipment registry's schema (bulkdaq/shipments/registry_database.py runs it).

The registry always hands Alembic an open connection: migrations run on the database the registry opened,
never on a URL read from an ini file.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
