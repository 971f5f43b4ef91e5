"""Sessions from the plant's draft feed: the ``draft`` measurement of a vessel in a real InfluxDB (the private
influxd of tests/conftest.py), written through bulkdaq's own writer, read back into the same session as the
observation file of the same readings gives."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from bulkdaq.inputs.observation_file import MARKS, load_observation_file
from bulkdaq.observations.draft_feed import FeedWindowEmpty, draft_feed_series, feed_field, session_from_feed
from bulkdaq.observations.session import build_session, session_from_file
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.line_protocol import Point
from simulators.draft_observer import DroneSession, fly_drone, write_observation_file
from simulators.vessel_at_berth import capesize_loading_scenario

SCENARIO = capesize_loading_scenario()
VESSEL = SCENARIO.vessel.name


def write_points(reader: InfluxReader, points: Sequence[Point], quarantine: Path) -> None:
    """Store `points` in the reader's database with bulkdaq's writer; nothing may be quarantined."""

    async def write() -> None:
        writer = InfluxWriter(reader.url, reader.database, quarantine_dir=quarantine)
        try:
            await writer.write([point.to_line() for point in points])
        finally:
            await writer.aclose()
        assert writer.stats.batches_quarantined == 0, writer.stats

    asyncio.run(write())


def epoch_ms(drone: DroneSession, scenario_s: float) -> int:
    return round(SCENARIO.utc(scenario_s).timestamp() * 1000)


def feed_points(drone: DroneSession, vessel: str = VESSEL) -> list[Point]:
    """Each recorded frame as one good point of its mark's field, at the frame's time; and bad points
    between the frames (a glitching gauge: wild values, quality bad) that the feed must ignore."""
    points = []
    for recording in drone.recordings:
        for t, draft in zip(recording.times_s, recording.drafts_m, strict=True):
            at = epoch_ms(drone, float(t))
            fields = {feed_field(recording.mark): float(draft), contract.QUALITY_FIELD: "good", "source": "sensor"}
            points.append(Point(contract.DRAFT.name, {contract.DRAFT.asset_tag: vessel}, fields, at))
        for t in recording.times_s[::25]:
            at = epoch_ms(drone, float(t)) + 100  # frames are 200 ms apart: between two of them
            fields = {feed_field(recording.mark): 29.5, contract.QUALITY_FIELD: "bad", "source": "sensor"}
            points.append(Point(contract.DRAFT.name, {contract.DRAFT.asset_tag: vessel}, fields, at))
    return points


@pytest.fixture(scope="module")
def drone() -> DroneSession:
    return fly_drone(SCENARIO, "initial", seed=7)


def window(drone: DroneSession):  # noqa: ANN201
    return SCENARIO.utc(drone.truth.start_s) - timedelta(seconds=1), SCENARIO.utc(drone.truth.end_s) + timedelta(seconds=1)


def test_the_feed_gives_the_session_the_file_gives(influx_db, tmp_path, drone):
    points = feed_points(drone)
    # another vessel's good readings in the same window must not mix in
    points += [
        Point(contract.DRAFT.name, {contract.DRAFT.asset_tag: "MV NEIGHBOUR"}, {feed_field(mark): 12.0, contract.QUALITY_FIELD: "good"}, epoch_ms(drone, t))
        for mark in MARKS
        for t in drone.recording(mark).times_s[1::50]
    ]
    write_points(influx_db, points, tmp_path / "quarantine")
    start, end = window(drone)
    # the bad points are stored, in the window: the feed must leave them out itself
    stored = influx_db.query(f"SELECT count(\"{feed_field('mid_port')}\") FROM \"draft\" WHERE \"quality\" = 'bad'")
    assert stored[0].values[0][1] == 18

    series = draft_feed_series(influx_db, VESSEL, start, end)
    assert list(series) == list(MARKS)
    for mark in MARKS:
        times, drafts = series[mark]
        recording = drone.recording(mark)
        assert drafts.size == recording.times_s.size == 450  # the bad points and the neighbour's are not there
        np.testing.assert_array_equal(drafts, recording.drafts_m)
        expected = np.array([epoch_ms(drone, float(t)) / 1000.0 for t in recording.times_s])
        np.testing.assert_allclose(times, expected, rtol=0, atol=1e-6)

    feed = session_from_feed(influx_db, VESSEL, "initial", start, end)
    from_file = session_from_file(load_observation_file(write_observation_file(tmp_path / "initial.json", drone)))
    assert (feed.survey, feed.vessel, feed.source) == ("initial", VESSEL, "sensor")
    assert feed.origin.startswith(f"InfluxDB draft feed, vessel {VESSEL}, {start.isoformat()}")
    assert feed.sha256 == "" and feed.missing == ()
    assert feed.fit and feed.status == "figure"
    for mark in MARKS:
        assert feed.marks[mark].draft_m == pytest.approx(from_file.marks[mark].draft_m, abs=1e-9)
        assert feed.marks[mark].u_m == pytest.approx(from_file.marks[mark].u_m, abs=1e-9)
        assert feed.marks[mark].reading.pairs == from_file.marks[mark].reading.pairs
        assert feed.marks[mark].count == from_file.marks[mark].count == 450
        assert feed.marks[mark].first == from_file.marks[mark].first
        assert feed.marks[mark].frames == ()  # a sensor reads no picture
        assert abs(feed.marks[mark].draft_m - drone.truth.marks_m[mark]) <= 3 * feed.marks[mark].u_m
    # the feed carries no list and no dock-water samples
    assert feed.list_deg is None and feed.density is None


def test_a_sensor_writing_all_six_marks_in_one_point(influx_db, tmp_path, drone):
    # a draft gauge sends the six marks together: one point per time with every field
    times = drone.recording("fwd_port").times_s
    points = [
        Point(
            contract.DRAFT.name,
            {contract.DRAFT.asset_tag: VESSEL},
            {**{feed_field(mark): float(drone.recording(mark).drafts_m[i]) for mark in MARKS}, contract.QUALITY_FIELD: "good"},
            epoch_ms(drone, float(t)),
        )
        for i, t in enumerate(times)
    ]
    # a point of bad quality carries every mark too, and must be ignored for all of them
    points.append(
        Point(contract.DRAFT.name, {contract.DRAFT.asset_tag: VESSEL}, {**{feed_field(m): 1.0 for m in MARKS}, contract.QUALITY_FIELD: "bad"},
              epoch_ms(drone, float(times[3])) + 50)
    )
    write_points(influx_db, points, tmp_path / "quarantine")
    start, end = SCENARIO.utc(float(times[0])), SCENARIO.utc(float(times[-1]))  # both ends inclusive
    feed = session_from_feed(influx_db, VESSEL, "initial", start, end)

    epochs = np.array([epoch_ms(drone, float(t)) / 1000.0 for t in times])
    expected = build_session(
        {mark: (epochs, drone.recording(mark).drafts_m) for mark in MARKS}, survey="initial", vessel=VESSEL, source="sensor", origin="expected"
    )
    for mark in MARKS:
        assert feed.marks[mark].count == times.size
        assert feed.marks[mark].draft_m == pytest.approx(expected.marks[mark].draft_m, abs=1e-9)
    assert feed.span_min == pytest.approx((times[-1] - times[0]) / 60.0, abs=1e-9)


def test_a_mark_the_feed_does_not_send_is_missing(influx_db, tmp_path, drone):
    write_points(influx_db, [p for p in feed_points(drone) if feed_field("aft_stbd") not in p.fields], tmp_path / "quarantine")
    feed = session_from_feed(influx_db, VESSEL, "initial", *window(drone))
    assert feed.missing == ("aft_stbd",)
    assert feed.reasons == ("mark aft_stbd: not observed",)
    assert feed.status == "preliminary reading, not a figure"


def test_an_empty_window_is_refused_naming_the_vessel(influx_db, tmp_path, drone):
    write_points(influx_db, feed_points(drone), tmp_path / "quarantine")
    start, _ = window(drone)
    before = (start - timedelta(hours=2), start - timedelta(hours=1))
    with pytest.raises(FeedWindowEmpty) as refused:
        session_from_feed(influx_db, VESSEL, "initial", *before)
    message = str(refused.value)
    assert f"no good draft reading of vessel {VESSEL!r} in the window" in message
    assert before[0].isoformat() in message and before[1].isoformat() in message

    # a vessel the feed does not know: the same
    with pytest.raises(FeedWindowEmpty, match="no good draft reading of vessel 'MV NOBODY' in the window"):
        session_from_feed(influx_db, "MV NOBODY", "initial", *window(drone))


def test_a_window_of_bad_readings_only_is_empty(influx_db, tmp_path, drone):
    write_points(influx_db, [p for p in feed_points(drone) if p.fields[contract.QUALITY_FIELD] == "bad"], tmp_path / "quarantine")
    assert draft_feed_series(influx_db, VESSEL, *window(drone)) == {}
    with pytest.raises(FeedWindowEmpty, match=f"vessel {VESSEL!r}"):
        session_from_feed(influx_db, VESSEL, "initial", *window(drone))
