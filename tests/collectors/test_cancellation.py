"""A device task stops when cancelled, even when a library call swallowed the cancellation.

On Python 3.11 `asyncio.wait_for` returns its result instead of raising when the cancellation arrives
in the same loop iteration as the result; pymodbus and asyncua use it inside every request. The test
builds exactly that race around a real Modbus poll (a real simulator answers the reads) and checks that
the device task still ends.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from bulkdaq.config.site_file import load_site
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import free_port
from collectors.modbus.collector import ModbusDeviceCollector
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from site_files import device, point, write_site


class SwallowingSink:
    """A sink whose third submit is cancelled in the very iteration its `wait_for` completes."""

    depth = 0
    lag_s = 0.0

    def __init__(self) -> None:
        self.submits = 0
        self.swallowed = False
        self.task: asyncio.Task[None] | None = None

    async def submit(self, points: Sequence[Point], *, source: str | None = None) -> None:
        loop = asyncio.get_running_loop()
        self.submits += 1
        committed: asyncio.Future[None] = loop.create_future()
        if self.submits == 3:
            assert self.task is not None
            loop.call_soon(committed.set_result, None)
            loop.call_soon(self.task.cancel)  # same iteration: wait_for sees the cancel with its future done
        else:
            committed.set_result(None)
        await asyncio.wait_for(committed, timeout=5)
        if self.task is not None and self.task.cancelling():
            self.swallowed = True  # wait_for returned normally although the task was cancelled


async def test_a_swallowed_cancellation_still_stops_the_device_task(tmp_path) -> None:  # noqa: ANN001
    port = free_port()
    site = load_site(write_site(tmp_path, device("FT-1", port, point(0, "float64", "FT-1", "mass_total_kg"), poll=0.02) + "\n[[meters]]\nid = \"FT-1\"\n"))
    config = site.config.modbus.devices[0]
    simulator = FlowmeterSimulator(config, {"FT-1": MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10))}, ScenarioClock(speedup=100)).server()
    await simulator.start()
    sink = SwallowingSink()
    collector = ModbusDeviceCollector(config, "test", sink)
    try:
        sink.task = asyncio.create_task(collector.run())
        done, _ = await asyncio.wait({sink.task}, timeout=3.0)
    finally:
        await simulator.stop()
    assert sink.task in done, f"the device task was still polling 3 s after its cancellation ({sink.submits} submits)"
    assert sink.task.cancelled()
    assert sink.submits == 3  # it stopped at the round that was cancelled, without another poll
    assert collector.status.polls == 3 and collector.status.errors == 0
    if sys.version_info < (3, 12):
        assert sink.swallowed  # the race really happened (Python 3.12's wait_for no longer swallows it)
