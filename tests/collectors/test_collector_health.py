"""A Modbus device's `collector_health`: with every poll up to 1 Hz, about once a second when polled
faster, and at once when the device stops answering."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bulkdaq.config.site_file import load_site
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import free_port
from collectors.modbus.collector import ModbusDeviceCollector
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from site_files import device, point, write_site


class RecordingSink:
    depth = 0
    lag_s = 0.0

    def __init__(self) -> None:
        self.polls: list[list[Point]] = []

    async def submit(self, points: Sequence[Point], *, source: str | None = None) -> None:
        self.polls.append(list(points))


def _health(poll: list[Point]) -> Point | None:
    return next((p for p in poll if p.measurement == "collector_health"), None)


async def _collect(tmp_path, poll_s: float, seconds: float, *, stop_server_after_s: float | None = None) -> RecordingSink:  # noqa: ANN001
    port = free_port()
    site = load_site(write_site(tmp_path, device("FT-1", port, point(0, "float64", "FT-1", "mass_total_kg"), poll=poll_s, timeout=0.2)
                                + "\n[[meters]]\nid = \"FT-1\"\n"))
    config = site.config.modbus.devices[0]
    simulator = FlowmeterSimulator(config, {"FT-1": MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10))}, ScenarioClock(speedup=100)).server()
    await simulator.start()
    sink = RecordingSink()
    task = asyncio.create_task(ModbusDeviceCollector(config, "test", sink).run())
    try:
        if stop_server_after_s is not None:
            await asyncio.sleep(stop_server_after_s)
            await simulator.stop()
            await asyncio.sleep(seconds - stop_server_after_s)
        else:
            await asyncio.sleep(seconds)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await simulator.stop()
    return sink


async def test_a_device_polled_at_1_hz_reports_its_health_with_every_poll(tmp_path) -> None:  # noqa: ANN001
    sink = await _collect(tmp_path, 1.0, 2.5)
    assert len(sink.polls) == 3
    assert all(_health(poll) is not None for poll in sink.polls)


async def test_a_fast_device_reports_about_once_a_second_and_at_once_when_it_goes_down(tmp_path) -> None:  # noqa: ANN001
    sink = await _collect(tmp_path, 0.02, 3.0, stop_server_after_s=2.1)
    reports = [(index, _health(poll)) for index, poll in enumerate(sink.polls) if _health(poll) is not None]
    assert len(sink.polls) > 60
    up = [(i, h) for i, h in reports if h.fields["connected"] == 1]
    down = [(i, h) for i, h in reports if h.fields["connected"] == 0]
    assert len(up) == 3  # at 0 s, ~0.99 s, ~1.98 s
    assert all(0.9 <= (b.time_ms - a.time_ms) / 1000 <= 1.2 for (_, a), (_, b) in zip(up, up[1:], strict=False)), [h.time_ms for _, h in up]
    # The first poll that failed carries a health point with connected = 0 and the error counted, at once.
    first_failed = next(i for i, poll in enumerate(sink.polls) if poll[0].fields.get("quality") == "bad")
    assert down and down[0][0] == first_failed
    assert down[0][1].fields["errors"] >= 1
