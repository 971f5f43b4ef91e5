"""The demo's two shipments through clearance, on the data the demo's simulators produce.

* **DEMO-EXP-JET** — jet fuel exported through the two meter runs: declared, started before pumping,
  watched live (`quantity` / `clearance` written every second), completed with the final meter tickets,
  measured against the shore tank's drop (tank tickets from the DCS feed) and the ship's figure,
  reconciled under examples/tolerances.toml → *verified*, certified, released.
* **DEMO-IMP-ORE** — a bulk import weighed by draft survey and by the unloader's belt scale, which the
  demo makes under-read by 1.2 % → *discrepancy*, and the officer opens an investigation. The survey is
  examples/surveys/evership-discharge.json: an illustrative *discharge* (arrival loaded → after discharge
  light), declared as one in the file and built from the readings of the published EVER SHIP loading
  survey (examples/surveys/evership.json, kept as published). Its vessel, bill of lading and operation
  are checked against the shipment before its figure is used, and its figure is the one
  `bulkdaq survey draft` prints for the same file.

The shipment registry is opened with the site's signing key, so every event of the demo's history is
signed; the officer's decisions (certify, release, investigate) are signed with the demo officer's own key
(DEMO-0001, keys/officer-demo.key and its card in the demo's data folder, unencrypted: a demo's), whose
card the demo registers with its registry first. Each shipment gets its measurement report for customs (HTML). The files live in examples/demo/
and examples/surveys/ beside the site file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.config.site_file import LoadedSite
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.evidence.chain import load_private_key
from bulkdaq.inputs.survey_file import SurveyJob, load_survey_file
from bulkdaq.office.officer_key import generate_officer_key, load_officer_card, load_officer_key, officer_key_paths
from bulkdaq.office.officers import register_officer
from bulkdaq.shipments.live_quantities import LiveSnapshot, loading_start, watch
from bulkdaq.shipments.method_figures import belt_scale_figure, draft_survey_figure, shore_tank_figure
from bulkdaq.shipments.model import Shipment, load_figures, load_shipment
from bulkdaq.shipments.registry import ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import RuleSet, load_rule_set
from bulkdaq.shipments.workflow import complete_loading, officer_step, reconcile_shipment, record_figures, start_loading
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.wording.glossary import DIRECTION_OPERATION
from dashboards.reports.measurement_report import certificate_data, write_certificate

DISCHARGE_SURVEY = Path("surveys") / "evership-discharge.json"

ACTOR = "bulkdaq demo"
OFFICER_ID, OFFICER_NAME = "DEMO-0001", "演示关员 Demo Officer"
"""The demo's customs officer: the service number and name on the card the demo registers."""
OFFICER_KEY_STEM = Path("keys") / "officer-demo"
"""The demo officer's key and card, in the demo's data folder: keys/officer-demo.key and keys/officer-demo.card.json."""
BELT_SCALE_ERROR = -0.012  # the demo's belt scale under-reads by 1.2 %: the injected discrepancy


@dataclass(frozen=True)
class Outcome:
    shipment: Shipment
    state: str
    figures: dict[str, float]
    comparisons: list[tuple[str, float, float, bool]]  # rule, difference %, limit %, within
    certificate: Path


class SurveyMismatch(BulkdaqError, ValueError):
    """The survey file the demo cites is not about the shipment it is used for."""


def check_survey_matches(job: SurveyJob, shipment: Shipment) -> None:
    """The survey must be of the shipment's vessel, for its bill of lading and its product, and its declared
    operation must be the shipment's direction (loading for an export, discharge for an import)."""
    problems = []
    if job.operation != DIRECTION_OPERATION[shipment.direction]:
        problems.append(f"operation is {job.operation or 'not declared'}, but {shipment.id} is an {shipment.direction} "
                        f"(needs '{DIRECTION_OPERATION[shipment.direction]}')")
    if (job.vessel_name or "").casefold() != (shipment.assets.vessel or "").casefold():
        problems.append(f"vessel is {job.vessel_name!r}, but {shipment.id} names {shipment.assets.vessel!r}")
    if job.job_details.get("bill_of_lading") != shipment.bill_of_lading:
        problems.append(f"job.bill_of_lading is {job.job_details.get('bill_of_lading')!r}, but {shipment.id}'s is {shipment.bill_of_lading!r}")
    cargo = job.job_details.get("cargo_description", "")
    if shipment.product.casefold() not in cargo.casefold():
        problems.append(f"job.cargo_description is {cargo!r}, which does not name {shipment.id}'s product {shipment.product!r}")
    if problems:
        raise SurveyMismatch(f"{job.source}: not the survey of shipment {shipment.id}: " + "; ".join(problems))


class DemoClearance:
    """Declares, follows and clears the demo's two shipments.

    The registry is opened with the site's signing key: pass `signing_key`, or it is read from the site's
    ``[evidence] key_file`` when the shipments are declared (:meth:`declare_and_start`), whichever the
    caller has first. A demo history is never unsigned.
    """

    def __init__(self, examples: Path, data_dir: Path, signing_key: Ed25519PrivateKey | None = None) -> None:
        self.examples = examples
        self.registry_path = data_dir / "shipments.sqlite"
        self._registry: ShipmentRegistry | None = None
        if signing_key is not None:
            self._registry = ShipmentRegistry(self.registry_path, signing_key=signing_key)
        self.rules: RuleSet = load_rule_set(examples / "tolerances.toml")
        self.jet = load_shipment(examples / "demo" / "jet-fuel-export.toml")
        self.ore = load_shipment(examples / "demo" / "ore-import.toml")
        self.ship_figures = load_figures(examples / "demo" / "jet-fuel-export.figures.toml", self.jet)
        self.survey: SurveyJob = load_survey_file(examples / DISCHARGE_SURVEY)
        check_survey_matches(self.survey, self.ore)
        self.certificates = data_dir / "certificates"
        self.officer_key_path, self.officer_card_path = officer_key_paths(data_dir / OFFICER_KEY_STEM)
        self._officer_key: Ed25519PrivateKey | None = None
        self.jet_live: LiveSnapshot | None = None  # the newest live quantities of the jet fuel, while it loads

    @property
    def registry(self) -> ShipmentRegistry:
        """The signed shipment registry (open once the signing key is known)."""
        if self._registry is None:
            raise RuntimeError("the demo's registry opens with the site's signing key: give signing_key, or call declare_and_start(site, …) first")
        return self._registry

    def open_registry(self, site: LoadedSite) -> ShipmentRegistry:
        """Open the registry with the site's signing key (``[evidence] key_file``), unless it is open already."""
        if self._registry is None:
            key_file = site.config.evidence.key_file
            if key_file is None:
                raise InputError(site.path, "evidence.key_file", "the demo signs its shipment history; the site needs its signing key")
            self._registry = ShipmentRegistry(self.registry_path, signing_key=load_private_key(key_file))
        return self._registry

    def officer_key(self) -> Ed25519PrivateKey:
        """The demo officer's own key, registered with the demo's registry: made (unencrypted, it is a demo's) with
        its card on first use, or read from the data folder where an earlier call left it."""
        if self._officer_key is None:
            if self.officer_key_path.exists():
                card = load_officer_card(self.officer_card_path)
            else:
                card = generate_officer_key(OFFICER_ID, OFFICER_NAME, self.officer_key_path, self.officer_card_path, None)
            register_officer(self.registry, card, "demo")
            self._officer_key = load_officer_key(self.officer_key_path, None)
        return self._officer_key

    def belt_scale_target_t(self) -> float:
        """What the demo's belt scale will total: the survey's cargo, less the injected error."""
        return draft_survey_figure(self.survey, self.ore).value * (1 + BELT_SCALE_ERROR)

    def declare_and_start(self, site: LoadedSite, at: datetime) -> None:
        self.open_registry(site)
        for shipment in (self.jet, self.ore):
            self.registry.declare(shipment, ACTOR, "declared for the demo", at=at)
            start_loading(self.registry, shipment.id, ACTOR, site, at)

    async def watch_jet(self, site: LoadedSite, stop: asyncio.Event) -> None:
        """Live quantities of the jet-fuel export while it loads (the clearance board's data); the newest is
        kept in `jet_live` for the demo's live view."""

        def keep(snapshot: LiveSnapshot) -> None:
            self.jet_live = snapshot

        await watch(self.registry, site, self.jet.id, max_gap_s=self.rules.max_data_gap_s, interval_s=1.0, actor=ACTOR, stop=stop, on_snapshot=keep)

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
        officer = self.officer_key()
        for shipment, figures in ((self.jet, jet_figures), (self.ore, ore_figures)):
            record_figures(self.registry, shipment.id, ACTOR, figures, site)
            _, result = reconcile_shipment(self.registry, shipment.id, ACTOR, self.rules, site)
            if result.verdict == "verified":
                officer_step(self.registry, shipment.id, "certified", officer, "weight determined; figures within tolerance", site)
                officer_step(self.registry, shipment.id, "released", officer, "duties assessed on the certified weight", site)
            else:
                officer_step(self.registry, shipment.id, "investigating", officer, "belt scale and draft survey disagree beyond the rule", site)
            self.certificates.mkdir(parents=True, exist_ok=True)
            data = certificate_data(self.registry, shipment.id, time_zone=site.config.site.time_zone)
            path = write_certificate(data, self.certificates / f"certificate-{shipment.id}.html")
            outcomes.append(Outcome(
                shipment,
                self.registry.state(shipment.id),
                {c.first: c.first_value for c in result.comparisons} | {c.second: c.second_value for c in result.comparisons},
                [(f"{c.first} vs {c.second} ({c.rule.name})", c.difference_pct, c.rule.limit_pct, c.within) for c in result.comparisons],
                path,
            ))
        return outcomes


__all__ = [
    "ACTOR",
    "BELT_SCALE_ERROR",
    "DISCHARGE_SURVEY",
    "DemoClearance",
    "OFFICER_ID",
    "OFFICER_KEY_STEM",
    "OFFICER_NAME",
    "Outcome",
    "SurveyMismatch",
    "check_survey_matches",
]
