"""Every help text shows what it was written with: units in square brackets (``[t/h]``), ``[SURVEY=]FILE`` and
``[[opcua.servers.nodes]]`` are text, never read as markup and swallowed (issue 18: "Quantity to load per meter .")."""

from __future__ import annotations

from collections.abc import Iterator

import typer
from typer.testing import CliRunner

from bulkdaq.cli.main import app

ROOT = typer.main.get_command(app)


def _commands(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:  # noqa: ANN001
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _help_texts(command) -> list[str]:  # noqa: ANN001
    texts = [command.help or ""] + [getattr(param, "help", None) or "" for param in command.params]
    return [text for text in texts if text]


def _folded(text: str) -> str:
    return " ".join(text.split())


def test_the_command_tree_has_help_texts_with_brackets() -> None:
    bracketed = [text for _, command in _commands(ROOT) for text in _help_texts(command) if "[" in text]
    assert any("[t/h]" in text for text in bracketed)
    assert any("[[opcua.servers.nodes]]" in text for text in bracketed)
    assert len(bracketed) >= 10


def test_every_help_text_with_square_brackets_is_printed_whole() -> None:
    runner = CliRunner()
    checked = 0
    for path, command in _commands(ROOT):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, (path, result.output)
        shown = _folded(result.output)
        for text in _help_texts(command):
            if "[" not in text:
                continue
            # A command's own help may be cut to its first paragraph in its parent's list, never in its own --help.
            first_paragraph = _folded(text.split("\n\n")[0])
            assert first_paragraph in shown, (path, text, result.output)
            checked += 1
    assert checked >= 10


def test_a_unit_in_brackets_reaches_the_reader() -> None:
    result = CliRunner().invoke(app, ["simulate", "flowmeter", "--help"], env={"COLUMNS": "200"})
    assert "Quantity to load per meter [t]." in result.output
    assert "Steady loading rate per meter [t/h]." in result.output
