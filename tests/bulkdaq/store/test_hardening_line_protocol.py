"""Line protocol is written exactly as InfluxDB reads it (issue 14 b, c), proved against a real influxd:

* every character the site file allows in a name goes into InfluxDB and comes back, and is found again
  by the reader's queries;
* a backslash in a name is stored as written, not doubled (``FT\\101`` was stored as ``FT\\\\101`` and the
  ticket found nothing);
* string field values with backslashes and quotes come back exactly; a newline comes back as the two
  characters ``\\n`` (line protocol has no escape for it), on one line;
* what line protocol cannot carry is refused when the line is built, naming the name and why.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, quote_identifier, quote_string
from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.line_protocol import LineProtocolError, Point, parse_line
from site_files import device, meter, point, write_site

T0 = 1_790_000_000_000  # ms since epoch, 2026-09-21
START, END = datetime.fromtimestamp(T0 / 1000 - 1, timezone.utc), datetime.fromtimestamp(T0 / 1000 + 60, timezone.utc)

# Every character a site file allows in an asset, device or meter name (docs/configuration.md, "Names"),
# in names of at most 64 characters, each starting with a letter or digit.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALLOWED_NAMES = [LETTERS[:32], LETTERS[32:] + "0123456789", "9_.:/-x", "P-101/A", "LIT-3001.PV", "TK_3"]

# Names outside the site file's pattern that line protocol can still carry, and must store as written.
LINE_PROTOCOL_NAMES = ["FT\\101", "C:\\meters\\FT 7", "a\\\\b", "x=y,z w", "\\lead", "中文-1", "quote\"d"]

STRING_VALUES = {
    "backslashes": "C:\\logs\\FT-101\\",
    "quotes": 'said "no" twice',
    "escaped quote": '\\"',
    "trailing backslash": "end\\",
    "double backslash": "\\\\server\\share",
    "tab": "a\tb",
    "unicode": "压力 高 ✓",
}


def _write(influx_db: InfluxReader, tmp_path: Path, points: list[Point]) -> InfluxWriter:
    import asyncio

    writer = InfluxWriter(influx_db.url, influx_db.database, quarantine_dir=tmp_path / "q")

    async def run() -> None:
        await writer.write([p.to_line() for p in points])
        await writer.aclose()

    asyncio.run(run())
    assert writer.stats.lines_written == len(points) and writer.stats.batches_quarantined == 0
    return writer


def test_every_character_the_site_file_allows_loads_and_round_trips(influx_db: InfluxReader, tmp_path: Path) -> None:
    body = ""
    for d, name in enumerate(ALLOWED_NAMES):
        body += device(name, 1502 + d, point(0, "float64", name, "mass_total_kg")) + meter(name)
    site = load_site(write_site(tmp_path, body))
    assert [d.name for d in site.config.modbus.devices] == ALLOWED_NAMES
    assert [m.id for m in site.config.meters] == ALLOWED_NAMES
    points = [
        Point("meter", {"site": "site_1.a-B", "meter": name}, {"mass_total_kg": float(i), "quality": "good"}, T0 + i)
        for i, name in enumerate(ALLOWED_NAMES)
    ] + [
        Point("collector_health", {"site": "s", "collector": "modbus", "source": name}, {"connected": 1}, T0 + i)
        for i, name in enumerate(ALLOWED_NAMES)
    ]
    _write(influx_db, tmp_path, points)
    stored = influx_db.last_per_asset(contract.METER, "mass_total_kg")
    assert {name: reading.value for name, reading in stored.items()} == {name: float(i) for i, name in enumerate(ALLOWED_NAMES)}
    for i, name in enumerate(ALLOWED_NAMES):
        found = influx_db.first_and_last(contract.METER, name, "mass_total_kg", START, END)
        assert found is not None and found[0].value == float(i), name
    sources = influx_db.query('SHOW TAG VALUES FROM "collector_health" WITH KEY = "source"')[0].values
    assert sorted(value for _, value in sources) == sorted(ALLOWED_NAMES)


def test_a_backslash_in_a_name_is_stored_as_written_and_found_again(influx_db: InfluxReader, tmp_path: Path) -> None:
    points = [Point("meter", {"site": "s", "meter": name}, {"mass_total_kg": float(i)}, T0 + i) for i, name in enumerate(LINE_PROTOCOL_NAMES)]
    assert points[0].to_line() == f"meter,meter=FT\\101,site=s mass_total_kg=0.0 {T0}"  # not FT\\101
    _write(influx_db, tmp_path, points)
    stored = influx_db.query('SHOW TAG VALUES FROM "meter" WITH KEY = "meter"')[0].values
    assert sorted(value for _, value in stored) == sorted(LINE_PROTOCOL_NAMES)
    for i, name in enumerate(LINE_PROTOCOL_NAMES):
        found = influx_db.first_and_last(contract.METER, name, "mass_total_kg", START, END, good_only=False)
        assert found is not None and found[0].value == float(i), name  # the reader's quoting finds it too
        assert parse_line(points[i].to_line()).tags["meter"] == name  # and the evidence reads the line the same way


def test_a_field_key_with_backslash_comma_space_and_equals_round_trips(influx_db: InfluxReader, tmp_path: Path) -> None:
    key = "odd\\key, with=all"
    _write(influx_db, tmp_path, [Point("signal", {"site": "s", "name": "X"}, {key: 2.5}, T0)])
    keys = [row[0] for row in influx_db.query('SHOW FIELD KEYS FROM "signal"')[0].values]
    assert keys == [key]
    assert influx_db.query(f'SELECT {quote_identifier(key)} FROM "signal"')[0].values[0][1] == 2.5


def test_string_field_values_round_trip_exactly_and_a_newline_stays_on_one_line(influx_db: InfluxReader, tmp_path: Path) -> None:
    points = [
        Point("event", {"site": "s", "asset": "FT-1", "kind": "comms_gap"}, {"message": value}, T0 + i)
        for i, value in enumerate([*STRING_VALUES.values(), "line 1\nline 2"])
    ]
    lines = [p.to_line() for p in points]
    assert all("\n" not in line for line in lines)
    _write(influx_db, tmp_path, points)
    rows = influx_db.query('SELECT "message" FROM "event" ORDER BY time')[0].values
    stored = [row[1] for row in rows]
    assert stored[: len(STRING_VALUES)] == list(STRING_VALUES.values())  # backslashes and quotes: exactly
    assert stored[-1] == "line 1\\nline 2"  # the newline as the two characters \n, as documented
    assert [parse_line(line).fields["message"] for line in lines] == stored  # the evidence reads what InfluxDB stored
    for value in STRING_VALUES.values():
        found = influx_db.query(f'SELECT "message" FROM "event" WHERE "message" = {quote_string(value)}')
        assert found and found[0].values[0][1] == value, value


BAD_INPUTS = [
    BadInput("line protocol", "backslash at the end of a tag value", "tag meter = 'FT-101\\'", "a backslash before the end would be read as an escape"),
    BadInput("line protocol", "backslash before a comma in a tag value", "tag meter = 'A\\,B'", "a backslash before ',' would be read as an escape"),
    BadInput("line protocol", "backslash before a space in a tag value", "tag meter = 'A\\ B'", "a backslash before ' ' would be read as an escape"),
    BadInput("line protocol", "backslash before an equals sign in a tag key", "tag key 'a\\=b'", "a backslash before '=' would be read as an escape"),
    BadInput("line protocol", "newline in a tag value", "tag meter = 'FT-1\\nevil v=1'", "holds the control character '\\n'"),
    BadInput("line protocol", "carriage return in a measurement", "measurement 'meter\\r'", "holds the control character '\\r'"),
    BadInput("line protocol", "newline in a field key", "field 'mass\\ntotal'", "holds the control character '\\n'"),
    BadInput("line protocol", "empty tag key", "tag '' = 'x'", "tag key '' of measurement 'meter' cannot be written in line protocol: it is empty"),
    BadInput("line protocol", "measurement starting with a hash", "measurement '#meter'", "a line starting with '#' is a comment, which InfluxDB drops"),
    BadInput("line protocol", "NaN field value", "field v = nan", "line protocol cannot carry NaN or infinity"),
    BadInput("line protocol", "point without fields", "no fields", "has no fields; InfluxDB needs at least one"),
]

_BAD_POINTS = [
    Point("meter", {"meter": "FT-101\\"}, {"v": 1.0}, 1),
    Point("meter", {"meter": "A\\,B"}, {"v": 1.0}, 1),
    Point("meter", {"meter": "A\\ B"}, {"v": 1.0}, 1),
    Point("meter", {"a\\=b": "x"}, {"v": 1.0}, 1),
    Point("meter", {"meter": "FT-1\nevil v=1"}, {"v": 1.0}, 1),
    Point("meter\r", {}, {"v": 1.0}, 1),
    Point("meter", {}, {"mass\ntotal": 1.0}, 1),
    Point("meter", {"": "x"}, {"v": 1.0}, 1),
    Point("#meter", {}, {"v": 1.0}, 1),
    Point("meter", {}, {"v": float("nan")}, 1),
    Point("meter", {}, {}, 1),
]


@pytest.mark.parametrize(("case", "bad"), list(zip(BAD_INPUTS, _BAD_POINTS, strict=True)), ids=ids(BAD_INPUTS))
def test_what_line_protocol_cannot_carry_is_refused_with_the_name(case: BadInput, bad: Point) -> None:
    with pytest.raises(LineProtocolError) as caught:
        bad.to_line()
    assert case.expected_message_part in str(caught.value)
    assert isinstance(caught.value, ValueError)  # callers that catch ValueError still do
