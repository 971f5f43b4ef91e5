"""Field and tag names for queries, taken from `bulkdaq.store.contract` and checked there when a dashboard is built.

A dashboard that names a field the contract does not have fails at build time with the measurement and
the field, instead of drawing an empty panel in production.
"""

from __future__ import annotations

from bulkdaq.store import contract


def field(measurement: contract.Measurement, name: str) -> str:
    """`name`, if `measurement` has that field in the data contract."""
    if name not in measurement.fields:
        raise KeyError(f"measurement {measurement.name!r} has no field {name!r} in bulkdaq.store.contract; it has {sorted(measurement.fields)}")
    return name


def fields(measurement: contract.Measurement, *names: str) -> list[str]:
    return [field(measurement, name) for name in names]


def site_filter(measurement: contract.Measurement, *, asset_variable: str | None = None) -> str:
    """``"site" =~ /^$site$/`` (and the asset tag against its variable): the WHERE every panel starts with."""
    condition = f'"{contract.SITE_TAG}" =~ /^$site$/'
    if asset_variable:
        condition += f' AND "{measurement.asset_tag}" =~ /^${asset_variable}$/'
    return condition


__all__ = [
    "field",
    "fields",
    "site_filter",
]
