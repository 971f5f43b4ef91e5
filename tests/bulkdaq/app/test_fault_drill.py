"""The fault drill (bulkdaq/app/fault_drill.py): faults and an InfluxDB restart during a loading; nothing
acknowledged is lost, every fault leaves its event, no good value is invented."""

from __future__ import annotations

from pathlib import Path

from bulkdaq.app.fault_drill import run_fault_drill


async def test_fault_drill_loses_nothing_and_reports_every_fault(tmp_path: Path) -> None:
    report = await run_fault_drill(tmp_path)
    print(report.markdown())
    assert report.readings_acknowledged > report.good_mass_readings  # meter readings, events and collector_health
    assert report.readings_stored == report.readings_acknowledged
    for fault in report.faults:
        assert fault.seen_events == fault.expected_events, fault
    assert report.unexpected_events == []
    assert report.good_mass_readings > 100
    assert report.good_values_not_served == []
    reasons = report.bad_reasons
    all_fields = "(mass_total_kg, flow_rate_kg_h, meter_factor, device_clock_s)"
    assert reasons[f"exception code 6 (server device busy) reading holding 0…11 {all_fields}"] >= 2, reasons
    assert reasons[f"no answer within 1.0 s {all_fields}"] >= 1, reasons  # garbage and truncated frames
    assert set(reasons) == {f"exception code 6 (server device busy) reading holding 0…11 {all_fields}", f"no answer within 1.0 s {all_fields}"}
