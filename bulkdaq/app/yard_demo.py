"""The yard demo's wiring (`bulkdaq yard demo`, which prints): a bonded blending yard on one machine, time-compressed.

A private influxd, the yard's belt scales served by the simulator on one scenario clock, the real collector
service with its spool and signed evidence chain, and the yard ledger signed with a key made for the demo.
The inbound lots are recorded; two runs of the recipe follow one another on the same belts: the first honest,
the second with one feeder scale counting high from its start (a scale out of calibration). Each run is
published live to the yard board while it runs and recorded from the stored totals when it ends; then the
outbound lot is recorded, the yard's series are published, the period's balance is worked out and the yard
statement written. The ground truth (what truly passed over each belt) is kept beside every figure.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.app.demo import create_database, local_site, with_site_key
from bulkdaq.config.site_file import LoadedSite
from bulkdaq.yard.ledger import YardLedger
from bulkdaq.yard.recipe import Recipe, load_recipe
from bulkdaq.yard.yard_balance import YardBalance, yard_balance
from bulkdaq.yard.yard_steps import (
    RecordedRun,
    open_ledger,
    publish_live_run,
    publish_points,
    record_lot_file,
    record_run,
    trusted_key,
    watch_drift,
    yard_points,
    yard_rule,
)
from dashboards.reports.yard_statement import write_yard_statement
from simulators.belt_scale import Drift
from simulators.blending_yard import BlendingYard, BlendPlan, honest_plan
from simulators.scenario_clock import ScenarioClock

DEMO_ACTOR = "yard-demo"
SETTLE_S = 1.5
"""Real seconds after a run's belts stop before its figures are read: every device polled again and its
readings through the spool into InfluxDB."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of the demo: its id, the belts' plan, and the scale that drifts from its start (if any)."""

    run: str
    plan: BlendPlan
    drifting_scale: str | None = None
    drift_pct: float = 0.0


@dataclass(frozen=True)
class DemoTimeline:
    """The demo's two runs on the scenario clock and the speed-up that fits them into `seconds` of real time:
    each run takes a third of it, the idle belts before, between and after a sixth each, so every run's window
    opens and closes on belts that have stood still for several polls."""

    runs: tuple[PlannedRun, PlannedRun]
    speedup: float
    idle_s: float  # scenario seconds of idle belts before, between and after the runs

    @property
    def end_s(self) -> float:
        return self.runs[-1].plan.end_s + self.idle_s

    @property
    def margin_s(self) -> float:
        """Scenario seconds a run's window reaches into the idle belts on either side: half the idle time."""
        return self.idle_s / 2


def demo_timeline(recipe: Recipe, run_t: float, rate_t_h: float, seconds: float, drift_scale: str, drift_pct: float) -> DemoTimeline:
    """Two runs of `run_t` each at `rate_t_h` (the second with `drift_scale` counting `drift_pct` % high) in
    `seconds` of real time."""
    ramp_s = 300.0
    run_s = run_t / rate_t_h * 3600.0 + ramp_s  # a trapezoid: steady time plus one ramp
    speedup = 3 * run_s / seconds
    idle_s = speedup * seconds / 6
    first = honest_plan(recipe, run_t, rate_t_h, start_s=idle_s, ramp_s=ramp_s)
    second = honest_plan(recipe, run_t, rate_t_h, start_s=first.end_s + idle_s, ramp_s=ramp_s)
    runs = (PlannedRun("R-DEMO-1", first), PlannedRun("R-DEMO-2", second, drift_scale, drift_pct))
    return DemoTimeline(runs, speedup, idle_s)


@dataclass(frozen=True)
class RunOutcome:
    """A recorded run beside the ground truth: what truly passed over each scale's belt in the run [t]."""

    recorded: RecordedRun
    truth_t: dict[str, float]


@dataclass(frozen=True)
class YardDemoResult:
    """What the demo prints: the runs, the period's balance, where the statement and the ledger are."""

    site: LoadedSite
    runs: tuple[RunOutcome, ...]
    balance: YardBalance
    statement: Path
    ledger_path: Path
    fingerprint: str
    started: datetime
    ended: datetime


def yard_demo_site(site: LoadedSite, influx_url: str, data_dir: Path) -> tuple[LoadedSite, str]:
    """The yard's site pointed at the demo's influxd, spool, ledger and free ports, signing with a new key."""
    site = local_site(site, influx_url, data_dir / "spool.sqlite")
    config = site.config.model_copy(update={"yard": site.config.yard.model_copy(update={"ledger": data_dir / "yard.sqlite"})})
    return with_site_key(LoadedSite(site.path, config, site.warnings), data_dir)


def shipped_and_surveyed(recipe: Recipe, outcomes: Sequence[RunOutcome], shipped_share: float, when: datetime, data_dir: Path) -> tuple[Path, Path]:
    """The outbound lot (`shipped_share` of the product truly made, by a loading draft survey, u 0.25 %) and a
    survey of what is left on the product pile (u 1 %), as the files a surveyor would hand in."""
    made_t = sum(outcome.truth_t[recipe.product_scale] for outcome in outcomes)
    shipped_t = round(made_t * shipped_share, 3)
    left_t = round(made_t - shipped_t, 3)
    outbound = {
        "kind": "outbound_lot", "lot": "O-DEMO-01", "product": recipe.name, "declaration": "DEMO-EXPORT-0001",
        "destination": "re-export (demo)", "vessel": "MV Demo Blend",
        "figure": {"method": "draft_survey", "wet_t": shipped_t, "u_wet_t": round(shipped_t * 0.0025, 3),
                   "source": "loading draft survey (demo: the simulator's truth), u = 0.25 % (standard)"},
        "moisture": {"pct": 7.6, "u_pct": 0.1, "source": "ISO 3087 moisture of the outbound lot (demo)"},
        "runs": [outcome.recorded.figures.run for outcome in outcomes],
    }
    survey = {
        "kind": "stock_survey", "lot": recipe.name, "surveyed": (when + timedelta(seconds=1)).isoformat(),
        "figure": {"method": "stockpile_survey", "wet_t": left_t, "u_wet_t": round(left_t * 0.01, 3),
                   "source": "drone volumetric survey of the product pile × bulk density (demo: the simulator's truth), u = 1 % (standard)"},
    }
    paths = (data_dir / "O-DEMO-01.json", data_dir / "S-DEMO-product.json")
    for path, document in zip(paths, (outbound, survey), strict=True):
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return paths


async def run_yard_demo(
    site: LoadedSite, recipe_file: Path, lot_files: Sequence[Path], data_dir: Path, fingerprint: str,
    *, run_t: float, rate_t_h: float, seconds: float, drift_scale: str, drift_pct: float, say: Callable[[str], None],
) -> YardDemoResult:
    """Run the whole yard demo against the site's (demo) influxd; `say` is told what happens as it happens."""
    create_database(site)
    recipe = load_recipe(recipe_file, site)
    timeline = demo_timeline(recipe, run_t, rate_t_h, seconds, drift_scale, drift_pct)
    drifts = {r.drifting_scale: Drift(r.drift_pct, r.plan.start_s) for r in timeline.runs if r.drifting_scale}
    clock = ScenarioClock(timeline.speedup, running=False)  # starts once every device has answered
    yard = BlendingYard(site, recipe, [r.plan for r in timeline.runs], clock, drifts=drifts)
    servers = yard.servers()
    for server in servers:
        await server.start()
    service = CollectorService(site, collector_name="yard-demo")
    started = datetime.now(timezone.utc)
    with open_ledger(site, create=True) as ledger:
        for file in lot_files:
            entry = record_lot_file(ledger, file, DEMO_ACTOR, started)
            say(f"ledger #{entry.number}: {entry.kind} {entry.subject}")
    collecting = asyncio.create_task(service.run())
    try:
        await _wait_for_every_device(service)
        clock.start()
        scenario_start = datetime.now(timezone.utc)
        outcomes = [await _one_run(site, recipe, yard, clock, scenario_start, planned, timeline.margin_s, say) for planned in timeline.runs]
    finally:
        service.stop()
        await collecting
        for server in servers:
            await server.stop()
    ended = datetime.now(timezone.utc)
    with open_ledger(site) as ledger:
        for file in shipped_and_surveyed(recipe, outcomes, 0.8, ended, data_dir):
            entry = record_lot_file(ledger, file, DEMO_ACTOR, ended)
            say(f"ledger #{entry.number}: {entry.kind} {entry.subject}")
        rule = yard_rule(site)
        period_end = ended + timedelta(seconds=2)  # after the product pile's survey
        balance = yard_balance(ledger.state(), rule, started - timedelta(seconds=1), period_end, entries=ledger.entries())
        not_published = publish_points(site, yard_points(site, ledger, period_end, (started - timedelta(seconds=1), period_end)))
        findings, not_published_drift = watch_drift(site, ledger, DEMO_ACTOR, period_end)
        for problem in (not_published, not_published_drift):
            if problem:
                say(f"not on the yard board: {problem}")
        say("belt scales against draft surveys: " + ", ".join(f"{f.scale} {f.verdict} ({f.available} lot{'' if f.available == 1 else 's'})"
                                                              for f in findings))
        statement = _statement(site, ledger, rule, started - timedelta(seconds=1), period_end, data_dir)
        ledger.verify(trusted_key(site))  # the site's own key, never the one the file carries
    return YardDemoResult(site, tuple(outcomes), balance, statement, site.config.yard.ledger, fingerprint, started, ended)


async def _wait_for_every_device(service: CollectorService, limit_s: float = 15.0) -> None:
    """Until every device has answered a poll (each run's opening total is then a reading before its belts move)."""
    waiting_since = time.monotonic()
    while not (service.statuses and all(status.connected for status in service.statuses)):
        if time.monotonic() - waiting_since > limit_s:
            return
        await asyncio.sleep(0.1)


def _wall(scenario_start: datetime, clock: ScenarioClock, scenario_s: float) -> datetime:
    return scenario_start + timedelta(seconds=scenario_s / clock.speedup)


async def _one_run(site: LoadedSite, recipe: Recipe, yard: BlendingYard, clock: ScenarioClock, scenario_start: datetime,
                   planned: PlannedRun, margin_s: float, say: Callable[[str], None]) -> RunOutcome:
    """Wait for the run's belts, publish it live while it runs, record it once its readings are stored."""
    # The run's window opens and closes inside idle time, so its opening and closing totals are readings of still belts.
    opens_s = planned.plan.start_s - margin_s
    closes_s = planned.plan.end_s + margin_s
    start = _wall(scenario_start, clock, opens_s)
    end = _wall(scenario_start, clock, closes_s)
    while clock.seconds() < opens_s:
        await asyncio.sleep(0.05)
    drift = f" ({planned.drifting_scale} counting {planned.drift_pct:+.1f} % from its start)" if planned.drifting_scale else ""
    say(f"run {planned.run} started{drift}")
    while clock.seconds() < closes_s:
        figures = await asyncio.to_thread(publish_live_run, site, recipe, planned.run, start, datetime.now(timezone.utc))
        if figures is not None:
            shares = ", ".join(f"{c.name} {c.share_pct:.2f} %" for c in figures.result.components)  # as `bulkdaq yard live` prints them
            say(f"  {planned.run} running: {shares}; product {figures.product.wet_t:,.3f} t")
        await asyncio.sleep(2.0)
    await asyncio.sleep(SETTLE_S)
    with open_ledger(site) as ledger:
        recorded = await asyncio.to_thread(record_run, site, ledger, recipe, planned.run, start, end, DEMO_ACTOR)
    truth = {scale: yard.carried_t(scale, planned.plan.end_s) - yard.carried_t(scale, planned.plan.start_s)
             for scale in [*(c.scale for c in recipe.components), recipe.product_scale]}
    say(f"run {planned.run} recorded: ledger #{recorded.entry.number}, product {recorded.figures.result.product_verdict}")
    return RunOutcome(recorded, truth)


def _statement(site: LoadedSite, ledger: YardLedger, rule: Any, start: datetime, end: datetime, data_dir: Path) -> Path:
    return write_yard_statement(data_dir / "yard-statement.html", ledger, rule, start, end, yard=site.config.site.name,
                                site_key=trusted_key(site))


__all__ = ["DemoTimeline", "PlannedRun", "RunOutcome", "YardDemoResult", "demo_timeline", "run_yard_demo", "shipped_and_surveyed", "yard_demo_site"]
