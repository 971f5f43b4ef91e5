"""Tickets from stored totalizers: resets are errors naming both readings, roll-overs are honoured,
and the `bulkdaq ticket --site …` command prints the same figures."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bulkdaq.config.site_file import Meter
from bulkdaq.shipments.stored_totals import NoReadings, TotalizerDropped, stored_meter_ticket
from bulkdaq.store.influx_reader import InfluxReader
from calculators.totalizer import TotalizerWentBackwards
from site_files import device, meter, point, write_site

T0 = 1_790_000_000_000
START = datetime.fromtimestamp(T0 / 1000 - 1, timezone.utc)
END = datetime.fromtimestamp(T0 / 1000 + 3600, timezone.utc)
BULKDAQ = str(Path(sys.executable).with_name("bulkdaq"))


def store(reader: InfluxReader, meter_id: str, totals: list[float], quality: list[str] | None = None) -> None:
    lines = [
        f'meter,meter={meter_id},site=s mass_total_kg={total!r},quality="{(quality or ["good"] * len(totals))[i]}" {T0 + i * 1000}'
        for i, total in enumerate(totals)
    ]
    response = httpx.post(f"{reader.url}/write", params={"db": reader.database, "precision": "ms"}, content="\n".join(lines))
    assert response.status_code == 204, response.text


def test_indicated_quantity_uses_first_and_last_good_readings(influx_db: InfluxReader) -> None:
    store(influx_db, "FT-1", [1000.0, 1000.5, 999999.0, 1700.125, 1701.1], ["bad", "good", "bad", "good", "good"])
    ticket = stored_meter_ticket(influx_db, "s", Meter(id="FT-1"), START, END)
    (mass,) = ticket.totals
    assert (mass.opening.value, mass.closing.value, mass.indicated) == (1000.5, 1701.1, Decimal("700.6"))
    assert mass.opening.time_ms == T0 + 1000 and mass.closing.time_ms == T0 + 4000


def test_a_reset_in_the_window_is_an_error_naming_both_readings(influx_db: InfluxReader) -> None:
    store(influx_db, "FT-1", [5000.0, 5100.0, 3.0, 5200.0])  # reset, then climbs past the opening again
    with pytest.raises(TotalizerDropped) as caught:
        stored_meter_ticket(influx_db, "s", Meter(id="FT-1"), START, END)
    message = str(caught.value)
    assert "meter FT-1 mass_total_kg went backwards: 5100.0 at 2026-09-21T" in message
    assert "then 3.0 at 2026-09-21T" in message and "no roll-over is configured" in message


def test_a_configured_roll_over_is_honoured_and_a_reset_is_not_taken_for_one(influx_db: InfluxReader) -> None:
    store(influx_db, "FT-1", [999_990.5, 999_999.0, 4.25])
    ticket = stored_meter_ticket(influx_db, "s", Meter(id="FT-1", mass_rollover_kg=1_000_000), START, END)
    assert ticket.totals[0].indicated == Decimal("13.75") and ticket.totals[0].rolled_over
    store(influx_db, "FT-2", [400_000.0, 10.0])  # would be a 600 000 kg "roll-over": more than half the span
    with pytest.raises(TotalizerWentBackwards, match="opening 400000.0, closing 10.0 .a roll-over at 1000000.0 would imply 600010.0, more than half"):
        stored_meter_ticket(influx_db, "s", Meter(id="FT-2", mass_rollover_kg=1_000_000), START, END)


def test_no_readings_is_an_error(influx_db: InfluxReader) -> None:
    with pytest.raises(NoReadings, match="no good totalizer reading of meter 'FT-9'"):
        stored_meter_ticket(influx_db, "s", Meter(id="FT-9"), START, END)


def _site(tmp_path: Path, reader: InfluxReader) -> Path:
    return write_site(tmp_path, device("D", 502, point(0, "float64", "FT-1", "mass_total_kg")) + meter("FT-1"), url=reader.url, database=reader.database)


def test_cli_ticket_json(influx_db: InfluxReader, tmp_path: Path) -> None:
    store(influx_db, "FT-1", [52_314_706.281, 52_764_706.281])
    result = subprocess.run(
        [BULKDAQ, "ticket", "--site", str(_site(tmp_path, influx_db)), "--meter", "FT-1", "--from", START.isoformat(), "--to", END.isoformat(), "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (mass,) = json.loads(result.stdout)["totals"]
    assert mass["indicated"] == "450000.000" and mass["opening"]["value"] == 52_314_706.281


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--meter", "FT-1", "--from", "2026-09-21T00:00:00"], "--from: '2026-09-21T00:00:00' has no time zone"),
        (["--meter", "FT-1", "--from", "yesterday"], "--from: expected an ISO 8601 time"),
        (["--meter", "FT-7", "--from", "2026-09-21T00:00:00Z"], "meters[].id: no meter 'FT-7' in this site (meters: FT-1)"),
        (["--from", "2026-09-21T00:00:00Z"], "--meter: required for a ticket from stored data"),
    ],
)
def test_cli_ticket_bad_input_is_one_line(influx_db: InfluxReader, tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run([BULKDAQ, "ticket", "--site", str(_site(tmp_path, influx_db)), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr
