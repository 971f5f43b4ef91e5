"""The "Site silent / 站点静默" alert rule: its query rendered as Grafana would, with the rule's relative time range, and
run against the real influxd with terminals whose signed evidence heads arrive, stopped, or missed one.

"Now" is chosen (a whole minute plus an offset), not taken from the clock: the rendered query has only absolute times
(``$timeFilter``), so every position of the 60 s buckets relative to "now" is tested, not only the one the clock gives.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from dashboards.grafana import alert_rules, demo_scenario, office_board
from dashboards.grafana.influxql_render import TimeRange, render

UID = "bulkdaq-site-silent"
RULE = next(rule for rule in alert_rules.RULES if rule[0] == UID)
_, TITLE, QUERY, SECONDS, EVALUATOR, THRESHOLD, SUMMARY, SEVERITY, FOR = RULE

HEAD_MS = office_board.HEAD_INTERVAL_S * 1000  # the default `[evidence] head_interval_s`, 60 s
FRESH, SILENT, JITTERY = "ZJ-JET", "DL-OIL", "DL-ORE"
STOPPED_MS = 30 * 60_000  # SILENT's heads stopped this long before "now"
# JITTERY is due a head 0.5 s after "now"; the heads it missed were due 0.5 s, 60.5 s, … before "now". With one missed,
# its newest head is 119.5 s old: the longest silence one missed head can leave.
JITTERY_DUE_MS = 500
# Bucket alignments: "now" this many seconds past a whole minute (on it, just after, mid-way, just before the next).
PAST_MINUTE_S = (0.0, 0.5, 20.0, 40.0, 59.5)


def _head(site: str, t_ms: int, i: int) -> Point:
    return Point(contract.EVIDENCE_HEAD.name, {contract.SITE_TAG: site}, {"seq": 100 + i, "hash": f"{i:064x}", "signature": f"{i:0128x}"}, t_ms)


def heads(now_ms: int, jittery_missed: int) -> list[Point]:
    """Two hours of heads at the 60 s cadence for three terminals: FRESH (newest 20 s ago), SILENT (stopped 30 min
    ago) and JITTERY (its newest `jittery_missed` heads missing)."""
    start = now_ms - 2 * 3_600_000
    out = [_head(FRESH, t, i) for i, t in enumerate(range(now_ms - 20_000, start, -HEAD_MS))]
    out += [_head(SILENT, t, i) for i, t in enumerate(range(now_ms - STOPPED_MS, start, -HEAD_MS))]
    due = range(now_ms + JITTERY_DUE_MS - HEAD_MS, start, -HEAD_MS)  # newest first
    out += [_head(JITTERY, t, i) for i, t in enumerate(due) if i >= jittery_missed]
    return out


def write(reader: InfluxReader, points: list[Point]) -> None:
    response = httpx.post(f"{reader.url}/write", params={"db": reader.database, "precision": "ms"},
                          content="\n".join(p.to_line() for p in points).encode(), timeout=30.0)
    assert response.status_code == 204, response.text


def chosen_now(past_minute_s: float) -> datetime:
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=1)
    return minute + timedelta(seconds=past_minute_s)


def heads_per_site(reader: InfluxReader, now: datetime) -> dict[str, Any]:
    """What Grafana's reducer B (last, dropping null and NaN) gets per alert instance: the newest value of each series."""
    rendered = render(QUERY, TimeRange(now - timedelta(seconds=SECONDS), now), {})
    assert "$" not in rendered
    series = reader.query(rendered)
    assert all(set(s.tags) == {contract.SITE_TAG} for s in series)  # the instances' one label: {{ $labels.site }}
    values = {s.tags[contract.SITE_TAG]: [v for _, v in s.values if v is not None] for s in series}
    return {site: vals[-1] for site, vals in values.items()}


def firing(values: dict[str, Any]) -> set[str]:
    assert EVALUATOR == "lt"
    return {site for site, value in values.items() if value < THRESHOLD}


def test_the_rule_is_defined_as_the_office_boards_threshold() -> None:
    assert TITLE == "Site silent / 站点静默"
    assert (SECONDS, EVALUATOR, THRESHOLD, SEVERITY, FOR) == (86_400, "lt", 1, "critical", "1m")
    assert "{{ $labels.site }}" in SUMMARY and office_board.HEADS_STALE_AFTER in SUMMARY
    # one bucket per head interval, as many buckets as the office board's STALE window has head intervals
    assert alert_rules.SILENT_BUCKET == f"{office_board.HEAD_INTERVAL_S}s" == "60s"
    assert alert_rules.SILENT_BUCKETS == office_board.HEADS_STALE_INTERVALS == 3
    assert alert_rules.SILENT_WINDOW == office_board.HEADS_STALE_AFTER == "180s"
    assert QUERY == (
        'SELECT moving_average("heads", 3) * 3 AS "heads" FROM (SELECT count("seq") AS "heads" FROM "evidence_head" '
        'WHERE $timeFilter GROUP BY time(60s), "site" fill(0)) GROUP BY "site"'
    )
    (group,) = alert_rules.provisioning_document()["groups"]
    rule = next(r for r in group["rules"] if r["uid"] == UID)
    assert rule["labels"] == {"severity": "critical", "team": alert_rules.TEAM} and rule["for"] == "1m"
    assert rule["data"][0]["relativeTimeRange"] == {"from": 86_400, "to": 0} and rule["data"][0]["model"]["query"] == QUERY


@pytest.mark.parametrize("past_minute_s", PAST_MINUTE_S)
def test_only_the_site_whose_heads_stopped_fires_not_one_that_missed_one_head(influx_db: InfluxReader, past_minute_s: float) -> None:
    now = chosen_now(past_minute_s)
    write(influx_db, heads(int(now.timestamp() * 1000), jittery_missed=1))
    values = heads_per_site(influx_db, now)
    assert set(values) == {FRESH, SILENT, JITTERY}  # the silent site is counted, it does not vanish into "no data"
    assert values[SILENT] == 0
    assert firing(values) == {SILENT}
    assert values[FRESH] >= 2 and values[JITTERY] >= 1  # one missed head is jitter: at least one head is left in the window


@pytest.mark.parametrize("past_minute_s", PAST_MINUTE_S)
def test_three_missed_heads_fire_whatever_the_bucket_alignment(influx_db: InfluxReader, past_minute_s: float) -> None:
    now = chosen_now(past_minute_s)
    write(influx_db, heads(int(now.timestamp() * 1000), jittery_missed=3))
    values = heads_per_site(influx_db, now)
    assert values[JITTERY] == 0
    assert firing(values) == {SILENT, JITTERY}


def test_a_site_silent_for_longer_than_the_rules_day_drops_out_of_the_result(influx_db: InfluxReader) -> None:
    """The documented limit (docs/dashboards.md): only sites with a head in the rule's day are counted; one silent for
    longer is "no data" (OK), so its alert resolves after a day. The office board keeps showing it STALE."""
    now = chosen_now(30.0)
    now_ms = int(now.timestamp() * 1000)
    write(influx_db, [_head(FRESH, now_ms - 20_000, 0), _head(SILENT, now_ms - SECONDS * 1000 - 60_000, 0)])
    assert set(heads_per_site(influx_db, now)) == {FRESH}


def test_the_demo_terminal_publishing_a_head_a_minute_does_not_fire(influx_db: InfluxReader) -> None:
    now_ms = demo_scenario.write(influx_db.url, influx_db.database)
    values = heads_per_site(influx_db, datetime.fromtimestamp(now_ms / 1000 + 1, timezone.utc))
    assert set(values) == {demo_scenario.SITE} and firing(values) == set()
