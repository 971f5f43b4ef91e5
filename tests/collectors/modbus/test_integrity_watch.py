"""Integrity events from readings: roll-over vs reset by register width, jumps, frozen totals, meter factor, clock."""

from __future__ import annotations

from bulkdaq.config.site_file import ModbusDevice
from collectors.integrity_watch import IntegrityWatch
from collectors.modbus.integrity import device_watch


def watch(data_type: str = "uint32", scale: float = 1.0, **limits: float) -> IntegrityWatch:
    device = ModbusDevice.model_validate({
        "name": "D", "host": "127.0.0.1", "integrity": limits,
        "points": [{"name": "m", "address": 0, "data_type": data_type, "scale": scale, "measurement": "meter", "asset": "FT", "field": "mass_total_kg"}],
    })
    return device_watch(device)


def kinds(events) -> list[str]:  # noqa: ANN001
    return [e.kind for e in events]


def test_steady_flow_raises_nothing() -> None:
    w = watch()
    for i in range(100):  # 3600 kg/h = 1 kg/s, read every second
        assert w.observe("FT", {"mass_total_kg": 1000.0 + i, "flow_rate_kg_h": 3600.0}, i * 1000) == []


def test_rollover_at_the_register_span_versus_reset() -> None:
    w = watch("uint32", scale=0.001)  # span 2**32 g = 4 294 967.296 kg
    w.observe("FT", {"mass_total_kg": 4_294_960.0, "flow_rate_kg_h": 36_000.0}, 0)
    (event,) = w.observe("FT", {"mass_total_kg": 2.704, "flow_rate_kg_h": 36_000.0}, 1000)
    assert event.kind == "totalizer_rollover" and event.old == "4294960.0" and event.new == "2.704"
    assert "4294967.296" in event.message
    w2 = watch("uint32", scale=0.001)
    w2.observe("FT", {"mass_total_kg": 1_000_000.0}, 0)
    (event,) = w2.observe("FT", {"mass_total_kg": 3.0}, 1000)
    assert event.kind == "totalizer_reset"
    w3 = watch("float64")  # a float total has no register span: any decrease is a reset
    w3.observe("FT", {"mass_total_kg": 4_294_960.0}, 0)
    assert kinds(w3.observe("FT", {"mass_total_kg": 2.0}, 1000)) == ["totalizer_reset"]


def test_jump_beyond_what_the_rate_allows() -> None:
    w = watch(jump_margin=0.5, jump_allowance=1.0)
    w.observe("FT", {"mass_total_kg": 0.0, "flow_rate_kg_h": 3600.0}, 0)
    assert w.observe("FT", {"mass_total_kg": 1.5 + 1.0, "flow_rate_kg_h": 3600.0}, 1000) == []  # 1 kg/s × 1.5 + 1 kg
    (event,) = w.observe("FT", {"mass_total_kg": 2.5 + 2.6, "flow_rate_kg_h": 3600.0}, 2000)
    assert event.kind == "totalizer_jump" and "allows at most 2.5" in event.message


def test_frozen_total_while_flow_is_reported_is_one_event() -> None:
    w = watch(frozen_after_s=3)
    w.observe("FT", {"mass_total_kg": 10.0, "flow_rate_kg_h": 3600.0}, 0)
    events = [w.observe("FT", {"mass_total_kg": 10.0, "flow_rate_kg_h": 3600.0}, t * 1000) for t in range(1, 8)]
    assert [kinds(e) for e in events] == [[], [], ["frozen"], [], [], [], []]
    # caught up afterwards at the reported rate since the last change: no jump
    assert w.observe("FT", {"mass_total_kg": 18.0, "flow_rate_kg_h": 3600.0}, 8000) == []
    # no flow, no movement: not frozen
    idle = watch(frozen_after_s=3)
    assert all(idle.observe("FT", {"mass_total_kg": 10.0, "flow_rate_kg_h": 0.0}, t * 1000) == [] for t in range(10))


def test_meter_factor_change_and_clock_jump() -> None:
    w = watch(clock_jump_s=5)
    w.observe("FT", {"meter_factor": 1.0, "device_clock_s": 1000.0}, 1_000_000)
    assert w.observe("FT", {"meter_factor": 1.0, "device_clock_s": 1004.0}, 1_003_000) == []  # drifts 1 s: fine
    events = w.observe("FT", {"meter_factor": 1.0012, "device_clock_s": 4604.0}, 1_004_000)
    assert kinds(events) == ["meter_factor_change", "clock_jump"]
    assert (events[0].old, events[0].new) == ("1.0", "1.0012")
    assert "+3599.000 s" in events[1].message
