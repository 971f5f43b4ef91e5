"""The data contract: every InfluxDB measurement, tag and field name bulkdaq writes or reads.

Collectors, calculators' writers, dashboards and the CLI import names from here and nowhere else;
`docs/schema.md` documents them with their units. Field names carry their SI unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum


class Quality(str, Enum):
    """Quality of a reading (docs/design.md, "The data contract"). The device's own status code is kept beside it."""

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"
    STALE = "stale"


SITE_TAG = "site"
QUALITY_FIELD = "quality"
QUALITY_REASON_FIELD = "quality_reason"


@dataclass(frozen=True)
class Measurement:
    """One InfluxDB measurement: its name, the tag that names the asset, and its fields with units."""

    name: str
    asset_tag: str
    fields: dict[str, str]  # field name -> unit and meaning, for docs/schema.md and validation
    integer_fields: frozenset[str] = frozenset()
    string_fields: frozenset[str] = frozenset()
    extra_tags: tuple[str, ...] = ()  # tags besides `site` and the asset tag

    @property
    def all_fields(self) -> frozenset[str]:
        return frozenset(self.fields)


_READING_FIELDS = {
    QUALITY_FIELD: "good / uncertain / bad / stale",
    QUALITY_REASON_FIELD: "why the quality is not good (exception code, timeout, …); absent when good",
}
# What a source gives besides the value (OPC UA): the point's time is then the source timestamp.
SOURCE_FIELDS = {
    "status_code": "the source's status code as sent (OPC UA StatusCode, the worst of the point's values) [-]",
    "server_time_ms": "server timestamp, Unix time [ms]",
    "receive_time_ms": "when the collector received it, Unix time [ms]",
}
_SOURCE_INTEGERS = frozenset(SOURCE_FIELDS)

METER = Measurement(
    name="meter",
    asset_tag="meter",
    fields={
        "mass_total_kg": "non-resettable mass totalizer [kg]",
        "volume_total_m3": "non-resettable volume totalizer at line conditions [m³]",
        "flow_rate_kg_h": "mass flow rate [kg/h]",
        "volume_flow_m3_h": "volume flow rate at line conditions [m³/h]",
        "density_kg_m3": "line density [kg/m³]",
        "temperature_c": "line temperature [°C]",
        "pressure_kpa": "line gauge pressure [kPa]",
        "meter_factor": "meter factor in use [-]",
        "status": "device status word, as read [-]",
        "device_clock_s": "the device's own clock, Unix time [s] (for clock-jump detection)",
        **_READING_FIELDS,
        **SOURCE_FIELDS,
    },
    integer_fields=frozenset({"status", *_SOURCE_INTEGERS}),
    string_fields=frozenset(_READING_FIELDS),
)

TANK = Measurement(
    name="tank",
    asset_tag="tank",
    fields={
        "level_m": "innage level [m]",
        "tov_m3": "total observed volume [m³]",
        "temperature_c": "average product temperature [°C]",
        "density_kg_m3": "observed density [kg/m³]",
        "free_water_m": "free-water level [m]",
        "free_water_m3": "free-water volume [m³]",
        **_READING_FIELDS,
        **SOURCE_FIELDS,
    },
    integer_fields=_SOURCE_INTEGERS,
    string_fields=frozenset(_READING_FIELDS),
)

SCALE = Measurement(
    name="scale",
    asset_tag="scale",
    fields={
        "total_t": "belt-scale or weighbridge totalizer [t]",
        "rate_t_h": "rate [t/h]",
        **_READING_FIELDS,
        **SOURCE_FIELDS,
    },
    integer_fields=_SOURCE_INTEGERS,
    string_fields=frozenset(_READING_FIELDS),
)

DRAFT = Measurement(
    name="draft",
    asset_tag="vessel",
    fields={
        "fwd_port_m": "forward draft mark, port [m]",
        "fwd_stbd_m": "forward draft mark, starboard [m]",
        "mid_port_m": "midship draft mark, port [m]",
        "mid_stbd_m": "midship draft mark, starboard [m]",
        "aft_port_m": "aft draft mark, port [m]",
        "aft_stbd_m": "aft draft mark, starboard [m]",
        "source": "observer / drone / sensor",
        **_READING_FIELDS,
        **SOURCE_FIELDS,
    },
    integer_fields=_SOURCE_INTEGERS,
    string_fields=frozenset({"source", *_READING_FIELDS}),
)

SIGNAL = Measurement(
    name="signal",
    asset_tag="name",
    fields={
        "value": "any other control-system tag (valves, pumps, alarms) [its own unit]",
        **_READING_FIELDS,
        **SOURCE_FIELDS,
    },
    integer_fields=_SOURCE_INTEGERS,
    string_fields=frozenset(_READING_FIELDS),
)

# `field` is a tag only on events about one field (totalizer, meter factor, device clock): two events of one
# poll and asset (a reset zeroing the mass and volume totals together) then stay two points, where the same
# measurement, tags and millisecond would make InfluxDB keep one. Quote it in InfluxQL: FIELD is a keyword.
EVENT = Measurement(
    name="event",
    asset_tag="asset",
    fields={
        "message": "what happened",
        "old": "value before",
        "new": "value after",
    },
    string_fields=frozenset({"message", "old", "new"}),
    extra_tags=("kind", "field"),
)

QUANTITY = Measurement(
    name="quantity",
    asset_tag="asset",
    fields={
        "gsv_m3": "gross standard volume [m³]",
        "nsv_m3": "net standard volume [m³]",
        "mass_t": "mass in vacuum [t]",
        "weight_air_t": "weight in air [t]",
        "progress": "fraction of the declared quantity loaded [-]",
        "rate_t_h": "delivery rate in the declared basis, tonnes [t/h]",
        "rate_m3_h": "delivery rate in the declared basis, standard volume [m³/h]",
        "indicated": "indicated quantity since the start of loading, in the totalizer's unit [kg or m³]",
    },
    extra_tags=("shipment", "method"),
)

CLEARANCE = Measurement(
    name="clearance",
    asset_tag="shipment",
    fields={
        "state": "clearance lifecycle state (docs/design.md, 'Clearance lifecycle')",
        "declared_t": "declared quantity [t]",
        "measured_t": "measured quantity [t]",
        "difference_pct": "(measured − declared) / declared [%]",
        "tolerance_pct": "tolerance applied [%]",
        "declared_m3": "declared quantity when declared as a standard volume [m³]",
        "measured_m3": "measured quantity when declared as a standard volume [m³]",
        "progress": "measured / declared while loading [-]",
        "rate_t_h": "total delivery rate in the declared basis [t/h]",
        "rate_m3_h": "total delivery rate in the declared basis [m³/h]",
        "remaining_s": "estimated time to complete at the current rate [s]",
        "verdict": "verified / discrepancy (after reconciliation)",
        "rule": "tolerance rule applied to measured vs declared: name, value, rule-set version",
    },
    string_fields=frozenset({"state", "verdict", "rule"}),
)

COLLECTOR_HEALTH = Measurement(
    name="collector_health",
    asset_tag="source",
    fields={
        "connected": "1 when the device answered the last poll, else 0; a Modbus device reports with every poll up to 1 Hz, about once a second when polled faster, and at once when this or `errors` changes [-]",
        "poll_ms": "duration of the last poll [ms]",
        "errors": "failed polls since the collector started [-]",
        "spool_depth": "readings waiting to reach InfluxDB [-]",
        "lag_s": "age of the oldest reading not yet in InfluxDB [s]",
        "forwarded_per_s": "readings moved from the spool to InfluxDB per second since the last report (source `forwarder`) [1/s]",
        "quarantined": "readings InfluxDB rejected (HTTP 400) and kept in quarantine since start (source `forwarder`) [-]",
    },
    integer_fields=frozenset({"connected", "errors", "spool_depth", "quarantined"}),
    extra_tags=("collector",),
)

EVIDENCE_HEAD = Measurement(
    name="evidence_head",
    asset_tag="site",
    fields={
        "seq": "sequence number of the evidence chain's newest block when the head was taken [-]",
        "hash": "SHA-256 of that block (hex)",
        "signature": "Ed25519 signature of the site key over the head (bulkdaq/evidence/heads.py), hex",
    },
    integer_fields=frozenset({"seq"}),
    string_fields=frozenset({"hash", "signature"}),
)

# The bonded blending yard (保税混矿, docs/yard.md): written by bulkdaq from the yard ledger and the blending
# runs' belt-scale totals, never by a device.
YARD_STOCK = Measurement(
    name="yard_stock",
    asset_tag="lot",
    fields={
        "entered_wet_t": "the inbound lot's quantity of record, wet [t]",
        "entered_dry_t": "the same in dry tonnes, from the lot's moisture [t]",
        "out_wet_t": "drawn from the lot by blending runs and transfers, wet [t]",
        "out_dry_t": "the same in dry tonnes [t]",
        "stock_wet_t": "book stock of the lot (entered − out), wet [t]",
        "stock_dry_t": "book stock of the lot, dry [t]",
        "stock_u_wet_t": "expanded uncertainty (k = 2) of the wet book stock [t]",
        "status": "open / exhausted / overdrawn",
    },
    string_fields=frozenset({"status"}),
    extra_tags=("origin",),
)

BLENDING_RUN = Measurement(
    name="blending_run",
    asset_tag="run",
    fields={
        "wet_t": "mass delivered by this component's feeder (or the product scale) since the run began, wet [t]",
        "u_wet_t": "standard uncertainty of that mass from the scale's OIML R 50 class [t]",
        "share_pct": "the component's share of the components' sum [%]",
        "target_pct": "the recipe's target share [%]",
        "tolerance_pct": "the recipe's tolerance on the share [percentage points]",
        "off_recipe": "1 when |share − target| > tolerance, else 0 [-]",
        "legal": "1 when the scale's total is at least its minimum totalized load, else 0 [-]",
        "state": "running / finished",
        "product_verdict": "consistent / product_short / product_over (on the product row)",
    },
    integer_fields=frozenset({"off_recipe", "legal"}),
    string_fields=frozenset({"state", "product_verdict"}),
    extra_tags=("component",),
)

YARD_BALANCE = Measurement(
    name="yard_balance",
    asset_tag="scope",
    fields={
        "entered_t": "entered in the scope (a lot, or the yard over a period with its opening stock) [t]",
        "out_t": "blended out, shipped or transferred [t]",
        "stock_t": "stock at the end [t]",
        "difference_t": "entered − out − stock [t]",
        "expanded_u_t": "expanded uncertainty of the difference, k = 2 (JCGM 100 5.1.2, 6.2) [t]",
        "verdict": "balanced / overdrawn / unaccounted",
        "rule": "the yard balance rule applied: name and version",
    },
    string_fields=frozenset({"verdict", "rule"}),
    extra_tags=("basis",),
)

SCALE_DRIFT = Measurement(
    name="scale_drift",
    asset_tag="scale",
    fields={
        "bias_pct": "mean relative difference of the belt scale against the draft surveys of its newest lots [%]",
        "ci_low_pct": "lower end of the bias's confidence interval [%]",
        "ci_high_pct": "upper end of the bias's confidence interval [%]",
        "mpe_pct": "maximum permissible error of the scale's OIML R 50 class [%]",
        "pairs": "lots compared (scale total against draft survey) in the window [-]",
        "verdict": "within_class / drifted / undetermined / insufficient",
    },
    integer_fields=frozenset({"pairs"}),
    string_fields=frozenset({"verdict"}),
)

# Tags of `event` naming what happened and, for an event about one field, that field; the kinds bulkdaq writes.
EVENT_KIND_TAG, EVENT_FIELD_TAG = EVENT.extra_tags
# `quantity` is tagged with the shipment and the method as well as the asset measured.
QUANTITY_SHIPMENT_TAG, QUANTITY_METHOD_TAG = QUANTITY.extra_tags
EVENT_KINDS = {
    "totalizer_reset": "a totalizer went backwards and no roll-over explains it",
    "totalizer_rollover": "a totalizer wrapped at its register span",
    "totalizer_jump": "a totalizer advanced more than the flow rate allows",
    "frozen": "a totalizer stopped moving while flow was reported",
    "meter_factor_change": "the meter factor changed",
    "clock_jump": "the device clock moved against the collector clock",
    "scale_drift": "a belt scale's bias against the draft surveys of the lots it moved is beyond its OIML R 50 class "
    "(asset: the scale)",
    "lot_overdrawn": "more was drawn from a yard lot than entered it, beyond the uncertainty of the figures (asset: the lot)",
    "off_recipe": "a blending run's component share is outside the recipe's tolerance (asset: the run)",
    "comms_gap": "a device was unreachable and came back, or the collector was not running (restart, crash): "
    "`old` and `new` are the last reading before and the first after, and a restart's message starts with `collector restart`",
}


def event_time_text(time_ms: int) -> str:
    """How an event's `old` / `new` (and its message) write a moment: ISO 8601, UTC, milliseconds."""
    return datetime.fromtimestamp(time_ms / 1000, timezone.utc).isoformat(timespec="milliseconds")

# Tag key for the collector process in collector_health (the asset tag is the device it polls).
COLLECTOR_TAG = COLLECTOR_HEALTH.extra_tags[0]
# The `source` of the forwarder's own health point (spool → InfluxDB), beside one per device.
FORWARDER_SOURCE = "forwarder"

MEASUREMENTS: dict[str, Measurement] = {
    m.name: m
    for m in (METER, TANK, SCALE, DRAFT, SIGNAL, EVENT, QUANTITY, CLEARANCE, COLLECTOR_HEALTH, EVIDENCE_HEAD, YARD_STOCK,
              BLENDING_RUN, YARD_BALANCE, SCALE_DRIFT)
}

# Measurements a device point may write into (the others are written by bulkdaq itself).
DEVICE_MEASUREMENTS = ("meter", "tank", "scale", "draft", "signal")

# Fields whose value cannot be real unless positive: a reading of 0 (a dead transmitter, an unset register)
# is stored with quality bad, never as good data.
MUST_BE_POSITIVE = frozenset({"density_kg_m3"})

# Totalizer fields: configured as float32 they lose resolution as they grow, so the site loader warns.
TOTALIZER_FIELDS = frozenset({"mass_total_kg", "volume_total_m3", "total_t"})


__all__ = [
    "event_time_text",
    "CLEARANCE",
    "COLLECTOR_HEALTH",
    "COLLECTOR_TAG",
    "DEVICE_MEASUREMENTS",
    "DRAFT",
    "EVENT",
    "EVENT_KINDS",
    "EVIDENCE_HEAD",
    "FORWARDER_SOURCE",
    "MEASUREMENTS",
    "METER",
    "MUST_BE_POSITIVE",
    "QUALITY_FIELD",
    "QUALITY_REASON_FIELD",
    "QUANTITY",
    "SCALE",
    "SCALE_DRIFT",
    "SIGNAL",
    "SITE_TAG",
    "SOURCE_FIELDS",
    "TANK",
    "TOTALIZER_FIELDS",
    "BLENDING_RUN",
    "YARD_BALANCE",
    "YARD_STOCK",
    "Measurement",
    "Quality",
]
