"""A static picture of each dashboard for the README, drawn with matplotlib from the same data path.

The panels are laid out on Grafana's 24-column grid, their queries rendered and run exactly as in the
tests (`panel_runner`), tables shown with the value mappings applied (so STALE cells read STALE).
It is a sketch of what the officer or operator sees, not a Grafana screenshot.

Run: ``python -m dashboards.grafana.panel_pictures docs/img`` (starts a private influxd with the demo scenario).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from bulkdaq.store.influx_reader import InfluxReader  # noqa: E402
from bulkdaq.store.local_influxd import LocalInfluxd  # noqa: E402
from dashboards.grafana import catalog, demo_scenario  # noqa: E402
from dashboards.grafana.panel_data import display, displayed_table, field_config_for  # noqa: E402
from dashboards.grafana.panel_runner import dashboard_time_range, panels, run_panel, variables_for  # noqa: E402

GRAFANA_COLORS = {
    "green": "#56A64B", "red": "#E02F44", "dark-red": "#C4162A", "orange": "#FF9830", "yellow": "#F2CC0C",
    "blue": "#3274D9", "dark-blue": "#1F60C4", "light-blue": "#8AB8FF", "purple": "#A352CC", "light-green": "#96D98D",
    "dark-green": "#37872D", "super-light-green": "#C8F2C2", "text": "#CCCCDC",
}
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP")


def _use_cjk_font() -> None:
    available = {f.name for f in font_manager.fontManager.ttflist}
    chosen = [name for name in CJK_FONTS if name in available]
    plt.rcParams["font.family"] = [*chosen, "DejaVu Sans"]


def _color(name: str | None) -> str:
    return GRAFANA_COLORS.get(name or "", name or "#22252B")


# Grafana unit ids the dashboards use, as a reader writes them.
GRAFANA_UNITS = {"masskg": "kg", "masst": "t", "lengthm": "m", "ms": "ms", "s": "s", "percent": "%", "percentunit": "fraction"}
# Units read off a contract field name's suffix (flow_rate_kg_h → kg/h), for panels whose unit is "none".
FIELD_SUFFIX_UNITS = (
    ("_kg_h", "kg/h"), ("_m3_h", "m³/h"), ("_kg_m3", "kg/m³"), ("_kg", "kg"), ("_m3", "m³"), ("_kpa", "kPa"),
    ("_c", "°C"), ("_ms", "ms"), ("_per_s", "/s"), ("_s", "s"), ("_m", "m"), ("_t", "t"),
)
LABEL_COLUMN = 0.075  # of the figure width, left of a state timeline, for its row labels (shipments)
Y_LABEL_COLUMN = 0.045  # left of a time series, for its y tick numbers and unit


def _unit_text(unit: str | None) -> str | None:
    if not unit or unit in {"none", "string", "short"}:
        return None
    if unit.startswith("suffix:"):
        return unit.removeprefix("suffix:").strip()
    return GRAFANA_UNITS.get(unit, unit)


def _field_unit(name: str) -> str | None:
    column = name.split(" ")[-1]
    return next((unit for suffix, unit in FIELD_SUFFIX_UNITS if column.endswith(suffix)), None)


def y_axis_label(panel: Mapping[str, Any], frame_names: list[str]) -> str:
    """The y axis's unit: the panel's unit, or the units of its series read off their field names."""
    unit = _unit_text((panel.get("fieldConfig") or {}).get("defaults", {}).get("unit"))
    if unit:
        return unit
    units = list(dict.fromkeys(_field_unit(n) or "count" for n in frame_names))
    return " · ".join(units) if units else "count"


def _number(value: float, _position: object = None) -> str:
    """Tick numbers with thousands separators and no scientific offset (1,900,000 not 1.9 × 1e6)."""
    magnitude = abs(value)
    decimals = 0 if magnitude >= 100 or value == int(value) else 1 if magnitude >= 10 else 2
    return f"{value:,.{decimals}f}"


def _time_axis(ax: Any, fmt: str, label: str) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=timezone.utc))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=8))
    ax.set_xlabel(label, color="#CCCCDC", fontsize=7, labelpad=2)


def draw_dashboard(dashboard: Mapping[str, Any], reader: InfluxReader, now: datetime, path: Path) -> None:
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range)
    items = list(panels(dashboard))
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in items)
    figure = plt.figure(figsize=(18, rows * 0.42), facecolor="#111217")
    figure.suptitle(dashboard["title"], color="white", fontsize=15, x=0.99, ha="right")
    for panel in items:
        grid = panel["gridPos"]
        kind = panel["type"]
        left, bottom = grid["x"] / 24 + 0.004, 1 - (grid["y"] + grid["h"]) / rows * 0.96 - 0.015
        width, height = grid["w"] / 24 - 0.008, grid["h"] / rows * 0.96 - 0.03
        # Room inside the panel's cell for the axes' numbers, units and row labels, so none falls off the picture.
        inset = {"timeseries": Y_LABEL_COLUMN, "state-timeline": LABEL_COLUMN}.get(kind, 0.0)
        x_labels = 0.035 * 24 / rows if kind in {"timeseries", "state-timeline"} else 0.0
        ax = figure.add_axes((left + inset, bottom + x_labels, width - inset, height - x_labels), facecolor="#181B1F")
        ax.set_title(panel["title"], color="white", fontsize=10, loc="left", x=-inset / max(width - inset, 0.01))
        for spine in ax.spines.values():
            spine.set_color("#33363D")
        ax.tick_params(colors="#CCCCDC", labelsize=7)
        run = run_panel(panel, reader, time_range, variables)
        if kind == "timeseries":
            for frame in run.frames:
                ax.plot(frame.fields[0].values, frame.fields[1].values, label=frame.name, linewidth=1)
            ax.legend(fontsize=6, loc="upper right", facecolor="#181B1F", labelcolor="#CCCCDC", framealpha=0.8)
            ax.yaxis.set_major_formatter(FuncFormatter(_number))
            ax.set_ylabel(y_axis_label(panel, [f.name for f in run.frames]), color="#CCCCDC", fontsize=8)
            ax.grid(color="#33363D", linewidth=0.5)
            _time_axis(ax, "%H:%M", "time (UTC)")
        elif kind == "stat":
            frame_values = [v for frame in run.frames for v in frame.fields[1].values if v is not None]
            config = field_config_for(panel, run.frames[0].fields[1]) if run.frames else dict(panel["fieldConfig"]["defaults"])
            value = frame_values[-1] if frame_values else None
            shown = display(value, config)
            steps = (config.get("thresholds") or {}).get("steps") or []
            color = shown.color or next((s["color"] for s in reversed(steps) if s["value"] is None or (value is not None and value >= s["value"])), None)
            ax.text(0.5, 0.45, shown.text, color=_color(color), fontsize=26, ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([]), ax.set_yticks([])
        elif kind == "state-timeline":
            for row, frame in enumerate(run.frames):
                times, values = frame.fields[0].values, frame.fields[1].values
                config = field_config_for(panel, frame.fields[1])
                for i, (start, value) in enumerate(zip(times, values, strict=False)):
                    end = times[i + 1] if i + 1 < len(times) else now
                    shown = display(value, config)
                    ax.barh(row, end - start, left=start, color=_color(shown.color), edgecolor="#111217")
                    ax.text(start, row, " " + shown.text.split(" ")[0], va="center", fontsize=6, color="black", clip_on=True)
            ax.set_yticks(range(len(run.frames)), [f.name for f in run.frames])
            ax.tick_params(axis="y", labelsize=8)
            ax.set_xlim(float(mdates.date2num(time_range.start)), float(mdates.date2num(now)))
            _time_axis(ax, "%m-%d %H:%M", "time (UTC)")
        elif kind == "table":
            ax.set_xticks([]), ax.set_yticks([])
            shown_rows = displayed_table(panel, run.frames)
            if shown_rows:
                names = list(shown_rows[0])
                headers = [str(field_config_for(panel, _named(run.frames, n)).get("displayName", n)) for n in names]
                cells = [[_short(row[n].text) for n in names] for row in shown_rows]
                colors = [[_color(row[n].color) if row[n].color else "#181B1F" for n in names] for row in shown_rows]
                table = ax.table(cellText=cells, colLabels=headers, cellColours=colors, loc="upper center", cellLoc="left")
                table.auto_set_font_size(False)
                table.set_fontsize(7)
                for (r, _), cell in table.get_celld().items():
                    cell.set_edgecolor("#33363D")
                    cell.get_text().set_color("white" if r else "#CCCCDC")
                    if r == 0:
                        cell.set_facecolor("#22252B")
    figure.savefig(path, dpi=90, facecolor=figure.get_facecolor())
    plt.close(figure)


def _named(frames: list[Any], name: str) -> Any:
    return next(f for frame in frames for f in frame.fields if f.name == name)


def _short(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text[:26]
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def main(outdir: Path) -> list[Path]:
    _use_cjk_font()
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as data:
        server = LocalInfluxd(Path(data)).start()
        try:
            reader = InfluxReader(server.url, "pictures")
            reader.create_database()
            now_ms = demo_scenario.write(server.url, reader.database)
            now = datetime.fromtimestamp(now_ms / 1000 + 1, timezone.utc)
            for uid, dashboard in catalog.build_all().items():
                path = outdir / f"{uid}.png"
                draw_dashboard(dashboard, reader, now, path)
                written.append(path)
        finally:
            server.stop()
    return written


__all__ = [
    "CJK_FONTS",
    "FIELD_SUFFIX_UNITS",
    "GRAFANA_COLORS",
    "GRAFANA_UNITS",
    "draw_dashboard",
    "main",
    "y_axis_label",
]


if __name__ == "__main__":
    for written_path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")):
        print(written_path)
