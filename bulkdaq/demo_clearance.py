"""The demo's two shipments through clearance, on the data the demo's simulators produce.

* **DEMO-EXP-JET** — jet fuel exported through the two meter runs: declared, started before pumping,
  watched live (`quantity` / `clearance` written every second), completed with the final meter tickets,
  measured against the shore tank's drop (tank tickets from the DCS feed) and the ship's figure,
  reconciled under examples/tolerances.toml → *verified*, certified, released.
* **DEMO-IMP-ORE** — a bulk import weighed by draft survey (the real EVER SHIP survey read as a
  discharge) and by the unloader's belt scale, which the demo makes under-read by 1.2 % → *discrepancy*,
  and the officer opens an investigation.

Each gets its weight certificate (HTML). The files live in examples/demo/ beside the site file.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bulkdaq.cli.shipment import complete_loading, officer_step, reconcile_shipment, record_figures, start_loading
from bulkdaq.influx_reader import InfluxReader
from bulkdaq.live_quantities import loading_start, watch
from bulkdaq.method_figures import belt_scale_figure, draft_survey_figure, shore_tank_figure
from bulkdaq.shipment import Shipment, load_figures, load_shipment
from bulkdaq.shipment_registry import ShipmentRegistry
from bulkdaq.site_config import LoadedSite
from bulkdaq.survey_file import SurveyJob, load_survey_file
from bulkdaq.tolerance_rules import RuleSet, load_rule_set
from dashboards.weight_certificate import certificate_data, write_certificate

ACTOR = "bulkdaq demo"
BELT_SCALE_ERROR = -0.012  # the demo's belt scale under-reads by 1.2 %: the injected discrepancy


@dataclass(frozen=True)
class Outcome:
    shipment: Shipment
    state: str
    figures: dict[str, float]
    comparisons: list[tuple[str, float, float, bool]]  # rule, difference %, limit %, within
    certificate: Path


class DemoClearance:
    """Declares, follows and clears the demo's two shipments."""

    def __init__(self, examples: Path, data_dir: Path) -> None:
        self.examples = examples
        self.registry = ShipmentRegistry(data_dir / "shipments.sqlite")
        self.rules: RuleSet = load_rule_set(examples / "tolerances.toml")
        self.jet = load_shipment(examples / "demo" / "jet-fuel-export.toml")
        self.ore = load_shipment(examples / "demo" / "ore-import.toml")
        self.ship_figures = load_figures(examples / "demo" / "jet-fuel-export.figures.toml", self.jet)
        survey = load_survey_file(examples / "surveys" / "evership.json")
        # The EVER SHIP survey loads her (initial light → draft_check loaded); the demo discharges her.
        self.survey: SurveyJob = dataclasses.replace(survey, cargo_from="draft_check", cargo_to="final")
        self.certificates = data_dir / "certificates"

    def belt_scale_target_t(self) -> float:
        """What the demo's belt scale will total: the survey's cargo, less the injected error."""
        return draft_survey_figure(self.survey, self.ore).value * (1 + BELT_SCALE_ERROR)

    def declare_and_start(self, site: LoadedSite, at: datetime) -> None:
        for shipment in (self.jet, self.ore):
            self.registry.declare(shipment, ACTOR, "declared for the demo", at=at)
            start_loading(self.registry, shipment.id, ACTOR, site, at)

    async def watch_jet(self, site: LoadedSite, stop: asyncio.Event) -> None:
        """Live quantities of the jet-fuel export while it loads (the clearance board's data)."""
        await watch(self.registry, site, self.jet.id, max_gap_s=self.rules.max_data_gap_s, interval_s=1.0, actor=ACTOR, stop=stop)

    def finish(self, site: LoadedSite, end: datetime) -> list[Outcome]:
        """Complete both, record every method's figure, reconcile, and take the officer's next step."""
        start = {s.id: loading_start(self.registry, s.id) for s in (self.jet, self.ore)}
        target = site.config.influxdb
        with InfluxReader(target.url, target.database) as reader:
            complete_loading(self.registry, self.jet.id, ACTOR, site, self.rules, at=end)
            complete_loading(self.registry, self.ore.id, ACTOR, site, self.rules, at=end)
            jet_figures = [shore_tank_figure(reader, self.jet, start[self.jet.id], end), *self.ship_figures]
            ore_figures = [draft_survey_figure(self.survey, self.ore), belt_scale_figure(reader, self.ore, start[self.ore.id], end)]
        outcomes = []
        for shipment, figures in ((self.jet, jet_figures), (self.ore, ore_figures)):
            record_figures(self.registry, shipment.id, ACTOR, figures, site)
            _, result = reconcile_shipment(self.registry, shipment.id, ACTOR, self.rules, site)
            if result.verdict == "verified":
                officer_step(self.registry, shipment.id, "certified", "officer (demo)", "weight determined; figures within tolerance", site)
                officer_step(self.registry, shipment.id, "released", "officer (demo)", "duties assessed on the certified weight", site)
            else:
                officer_step(self.registry, shipment.id, "investigating", "officer (demo)", "belt scale and draft survey disagree beyond the rule", site)
            self.certificates.mkdir(parents=True, exist_ok=True)
            path = write_certificate(certificate_data(self.registry, shipment.id), self.certificates / f"certificate-{shipment.id}.html")
            outcomes.append(Outcome(
                shipment,
                self.registry.state(shipment.id),
                {c.first: c.first_value for c in result.comparisons} | {c.second: c.second_value for c in result.comparisons},
                [(f"{c.first} vs {c.second} ({c.rule.name})", c.difference_pct, c.rule.limit_pct, c.within) for c in result.comparisons],
                path,
            ))
        return outcomes


