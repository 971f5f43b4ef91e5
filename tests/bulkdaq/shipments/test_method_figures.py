"""Method figures from stored feeds (shore tank, belt scale) and from a survey job (draft survey)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from bulkdaq.inputs.survey_file import load_survey_file
from bulkdaq.shipments.method_figures import MissingFeed, belt_scale_figure, draft_survey_figure, shore_tank_figure
from bulkdaq.shipments.model import load_shipment
from bulkdaq.store.influx_reader import InfluxReader
from calculators.petroleum.measurement_policy import MeasurementPolicy
from calculators.petroleum.tank_ticket import tank_ticket

REPO = Path(__file__).resolve().parents[3]
T0 = 1_790_000_000_000
START, END = datetime.fromtimestamp(T0 / 1000 - 1, timezone.utc), datetime.fromtimestamp(T0 / 1000 + 100, timezone.utc)


def store(reader: InfluxReader, lines: list[str]) -> None:
    response = httpx.post(f"{reader.url}/write", params={"db": reader.database, "precision": "ms"}, content="\n".join(lines))
    assert response.status_code == 204, response.text


def test_shore_tank_figure_is_the_difference_of_two_tank_tickets(influx_db: InfluxReader) -> None:
    store(influx_db, [
        f'tank,site=s,tank=T-101 tov_m3=125000.0,free_water_m3=270.0,temperature_c=24.0,quality="good" {T0}',
        f'tank,site=s,tank=T-101 tov_m3=70000.0,free_water_m3=270.0,temperature_c=24.5,quality="good" {T0 + 50_000}',
        f'tank,site=s,tank=T-101 tov_m3=12500.0,free_water_m3=270.0,temperature_c=24.1,quality="good" {T0 + 99_000}',
    ])
    shipment = load_shipment(REPO / "examples" / "demo" / "jet-fuel-export.toml")
    figure = shore_tank_figure(influx_db, shipment, START, END)
    policy = MeasurementPolicy("2004", "15C", "standard")
    opening = tank_ticket(policy, 125000.0, 270.0, 24.0, 807.0, 0.0, None, None)
    closing = tank_ticket(policy, 12500.0, 270.0, 24.1, 807.0, 0.0, None, None)
    assert figure.value == pytest.approx(opening["weight_in_air_t"] - closing["weight_in_air_t"], abs=1e-9)
    assert 89_000 < figure.value < 91_000 and figure.method == "shore_tanks" and figure.basis == "t_air"
    labels = [d[0] for d in figure.details]
    assert any(label.startswith("T-101 opening") and "GSV" in label for label in labels)
    with pytest.raises(MissingFeed, match="tank T-101: no good tov_m3 reading between"):
        shore_tank_figure(influx_db, shipment, datetime.fromtimestamp(0, timezone.utc), datetime.fromtimestamp(10, timezone.utc))


def test_belt_scale_figure_is_exact(influx_db: InfluxReader) -> None:
    store(influx_db, [
        f'scale,site=s,scale=BS-1 total_t=1204331.25,quality="good" {T0}',
        f'scale,site=s,scale=BS-1 total_t=1250000.5,quality="good" {T0 + 1000}',
        f'scale,site=s,scale=BS-1 total_t=1292064.07,quality="good" {T0 + 2000}',
    ])
    shipment = load_shipment(REPO / "examples" / "demo" / "ore-import.toml")
    figure = belt_scale_figure(influx_db, shipment, START, END)
    assert figure.value == 87732.82  # 1 292 064.07 − 1 204 331.25, decimal-exact
    assert figure.details[-1] == ("Delivered = closing − opening", 87732.82, "t")


def test_draft_survey_figure_follows_the_direction() -> None:
    job = load_survey_file(REPO / "examples" / "surveys" / "evership.json")
    ore = load_shipment(REPO / "examples" / "demo" / "ore-import.toml")
    with pytest.raises(ValueError, match="the survey loads 88760.280 t .initial → draft_check. but shipment DEMO-IMP-ORE is an import"):
        draft_survey_figure(job, ore)
    discharge = load_survey_file(REPO / "examples" / "surveys" / "evership-discharge.json")
    figure = draft_survey_figure(discharge, ore)
    result = discharge.compute()
    assert figure.value == result.cargo_weight_t == -result.cargo_t == result.survey("initial").net_displacement_t - result.survey("final").net_displacement_t
    # labelled as the discharge it is: positive weight, net initial − net final, 卸货
    assert ("Cargo discharged 卸货重量 = net initial − net final (discharge 卸货)", 88798.4, "t") in figure.details
    assert f"SHA-256 {discharge.sha256}" in figure.source and "discharge" in figure.source
