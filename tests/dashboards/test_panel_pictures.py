"""The docs/img pictures put a unit on every y axis (matplotlib is a test dependency: this always runs)."""

from __future__ import annotations

from dashboards.grafana import catalog
from dashboards.grafana import panel_pictures as pictures
from dashboards.grafana.panel_runner import panels


def test_every_time_series_has_a_unit_on_its_y_axis() -> None:
    labels = {}
    for dashboard in catalog.build_all().values():
        for panel in panels(dashboard):
            if panel["type"] == "timeseries":
                names = ["FT-101 " + t["query"].split('"')[1] for t in panel["targets"]]  # the first quoted name: the field
                labels[panel["title"].split(" / ")[0]] = pictures.y_axis_label(panel, names)
    assert labels["Flow rate per meter"] == "kg/h" and labels["Totalizers"] == "kg" and labels["Tank levels"] == "m"
    assert labels["Poll time"] == "ms"
    assert labels["Density · temperature · pressure"] == "kg/m³ · °C · kPa"


def test_tick_numbers_have_separators_and_no_scientific_offset() -> None:
    assert pictures._number(1_900_000.0) == "1,900,000" and pictures._number(0.2) == "0.20" and pictures._number(12.5) == "12.5"
