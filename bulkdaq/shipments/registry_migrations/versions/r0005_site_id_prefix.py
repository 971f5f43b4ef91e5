"""Each site may be given its own shipment ids: `site_keys.id_prefix`. With one, the office takes from
that site only shipments whose id begins with it, and no other site may declare an id in it, so one
terminal can no longer take the ids another was going to use. Prefixes never overlap (one is never the
start of another); the office checks that when it registers a site.

Revision ID: r0005
Revises: r0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "id_prefix" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("site_keys")}:
        op.execute("ALTER TABLE site_keys ADD COLUMN id_prefix TEXT")
