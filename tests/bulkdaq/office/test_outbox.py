"""The terminal's outbox on its own (bulkdaq/office/outbox.py): confirmations never move back, the queue
keeps its order across a reopen, holds stay until released, and an outbox answers to one office only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkdaq.office.outbox import OutboxUnavailable, TerminalOutbox


def test_confirmations_only_move_forward_and_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with TerminalOutbox(path) as outbox:
        assert outbox.confirmed("S-1") == 0
        outbox.confirm("S-1", 5)
        outbox.confirm("S-1", 3)  # a late answer to an older push
        outbox.confirm("S-2", 1)
    with TerminalOutbox(path) as reopened:
        assert (reopened.confirmed("S-1"), reopened.confirmed("S-2")) == (5, 1)


def test_the_queue_keeps_its_order_until_the_office_holds_each_item(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with TerminalOutbox(path) as outbox:
        for seq in (1, 2, 3):
            outbox.enqueue("head", {"seq": seq})
        outbox.enqueue("manifest", {"manifest": {"site": "A"}, "signature": "00"})
        first = outbox.pending()
        assert [(item.kind, item.body) for item in first] == [("head", {"seq": 1}), ("head", {"seq": 2}), ("head", {"seq": 3}),
                                                               ("manifest", {"manifest": {"site": "A"}, "signature": "00"})]
        outbox.done([first[0].id, first[1].id])
        with pytest.raises(ValueError, match="queue kind 'reading': expected one of head, manifest"):
            outbox.enqueue("reading", {})
    with TerminalOutbox(path) as reopened:
        assert [item.body for item in reopened.pending()] == [{"seq": 3}, {"manifest": {"site": "A"}, "signature": "00"}]
        assert reopened.depth() == 2


def test_holds_stay_until_released(tmp_path: Path) -> None:
    with TerminalOutbox(tmp_path / "outbox.sqlite") as outbox:
        outbox.hold("S-1", "event #3 of S-1: the office holds aaa, the push offered bbb")
        outbox.hold("S-1", "a second reason does not replace the first")
        assert outbox.holds() == {"S-1": "event #3 of S-1: the office holds aaa, the push offered bbb"}
        assert outbox.release_holds() == 1 and outbox.holds() == {}


def test_an_outbox_answers_to_one_office(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with TerminalOutbox(path) as outbox:
        outbox.bind_office("postgresql+psycopg://zj@office-a:5432/customs")
        outbox.bind_office("postgresql+psycopg://zj@office-a:5432/customs")
        with pytest.raises(OutboxUnavailable, match=r"holds the confirmations of the office registry postgresql\+psycopg://zj@office-a:5432/customs, "
                                                    r"not of postgresql\+psycopg://zj@office-b:5432/customs; move it aside"):
            outbox.bind_office("postgresql+psycopg://zj@office-b:5432/customs")


def test_a_folder_or_a_foreign_file_is_not_an_outbox(tmp_path: Path) -> None:
    with pytest.raises(OutboxUnavailable, match="is a folder; the office outbox is one SQLite file"):
        TerminalOutbox(tmp_path)
    (tmp_path / "not.sqlite").write_bytes(b"this is not a database at all, just text" * 10)
    with pytest.raises(OutboxUnavailable, match="cannot open the office outbox"):
        TerminalOutbox(tmp_path / "not.sqlite")
