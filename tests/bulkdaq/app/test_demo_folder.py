"""A demo empties its data folder at each run: only a folder a demo made, never another (`--data-dir .` from the
repository root must not delete the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkdaq.app.demo import DEMO_MARKER, fresh_demo_folder
from bulkdaq.errors import InputError


def test_a_demo_folder_is_made_marked_and_emptied_at_the_next_run(tmp_path: Path) -> None:
    folder = fresh_demo_folder(tmp_path / "demo")
    assert sorted(p.name for p in folder.iterdir()) == [DEMO_MARKER]
    (folder / "yard.sqlite").write_text("ledger of the last run")
    fresh_demo_folder(folder)
    assert sorted(p.name for p in folder.iterdir()) == [DEMO_MARKER]


def test_an_empty_folder_is_taken_and_a_folder_with_other_files_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert (fresh_demo_folder(tmp_path / "empty") / DEMO_MARKER).is_file()
    precious = tmp_path / "repository"
    precious.mkdir()
    (precious / "README.md").write_text("not a demo's")
    with pytest.raises(InputError, match=r"^command line: --data-dir: .*repository is not a folder a demo made \(no \.bulkdaq-demo in it\)"):
        fresh_demo_folder(precious)
    assert (precious / "README.md").read_text() == "not a demo's"
