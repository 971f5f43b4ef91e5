"""Writes docs/schema.md from the data contract (`python -m bulkdaq.store.contract_doc > docs/schema.md`)."""

from __future__ import annotations

from bulkdaq.store import contract


def schema_markdown() -> str:
    out = [
        "# Data contract (InfluxDB schema)",
        "",
        "Every measurement, tag and field bulkdaq writes. The one source of truth is `bulkdaq/store/contract.py`;",
        "this page is generated from it (`python -m bulkdaq.store.contract_doc > docs/schema.md`) and a test keeps the two equal.",
        "",
        "* Timestamps: milliseconds since the Unix epoch, UTC, written with `precision=ms` (second precision would merge",
        "  readings less than a second apart). For Modbus the time is the **receive time** of the answer.",
        f"* Every point carries the tag `{contract.SITE_TAG}` and the asset tag named below.",
        f"* Readings carry `{contract.QUALITY_FIELD}` ({', '.join(q.value for q in contract.Quality)}); when it is not good,",
        f"  `{contract.QUALITY_REASON_FIELD}` says why and no value is invented for what failed.",
        "* Values are stored as read, never rounded: a 64-bit integer total in grams scaled to kg is the double nearest",
        "  the decimal reading, so a ticket recovers the exact reading.",
        f"* `{contract.COLLECTOR_HEALTH.name}`'s `{contract.COLLECTOR_TAG}` tag names the collector process; `{contract.EVENT.name}`'s",
        f"  `{contract.EVENT_KIND_TAG}` is one of: {', '.join(f'`{k}`' for k in contract.EVENT_KINDS)}.",
        "",
    ]
    for measurement in contract.MEASUREMENTS.values():
        tags = ", ".join(f"`{t}`" for t in dict.fromkeys((contract.SITE_TAG, measurement.asset_tag, *measurement.extra_tags)))
        out += [f"## `{measurement.name}`", "", f"Tags: {tags}", "", "| field | type | unit and meaning |", "|---|---|---|"]
        for field, meaning in measurement.fields.items():
            kind = "integer" if field in measurement.integer_fields else "string" if field in measurement.string_fields else "float"
            out.append(f"| `{field}` | {kind} | {meaning} |")
        out.append("")
        if measurement is contract.EVENT:
            out += _event_notes()
    return "\n".join(out)


def _event_notes() -> list[str]:
    return [
        f"`{contract.EVENT_FIELD_TAG}` names the field an event is about (`mass_total_kg`, `meter_factor`, `device_clock_s`, …) and is",
        "absent on an event about a whole device (`comms_gap`); it keeps two events of one poll (a reset zeroing the mass and",
        f"the volume totals together) apart. `{contract.EVENT_FIELD_TAG}` is an InfluxQL keyword: write it in double quotes.",
        "",
        "| kind | meaning |",
        "|---|---|",
        *(f"| `{kind}` | {meaning} |" for kind, meaning in contract.EVENT_KINDS.items()),
        "",
    ]


__all__ = [
    "schema_markdown",
]


if __name__ == "__main__":
    print(schema_markdown(), end="")
