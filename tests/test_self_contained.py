"""The repository stands alone: no file refers to the folder beside it, and the reference cases the tests
need live inside it (tests/reference), each naming its source, read through one loader."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import reference_cases

REPO = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve()

SKIPPED_DIRECTORIES = {".git", ".venv", "var", "__pycache__", ".pytest_cache", "build", ".mypy_cache", ".ruff_cache", ".import_linter_cache"}
"""Not the repository's own files: version control, the virtual environment, run-time data (var/), what
Python and pip generate (also every ``*.egg-info`` folder) and the caches of the checks `make test` runs
(mypy, ruff, import-linter). All of them are in .gitignore or .git."""

SIBLING = "shared"
"""The folder the project's sources sit in, beside the repository. Nothing in the repository may use it."""

REFERENCES_TO_THE_SIBLING = {
    "a relative path out of the repository": re.compile(rf"\.\.[/\\]+{SIBLING}\b"),
    "a path built from the repository's parent": re.compile(rf"\bparents?\b(?:\[\d+\])?\s*/\s*['\"]{SIBLING}['\"]"),
    "a path joined from '..'": re.compile(rf"['\"]\.\.['\"]\s*[,/]\s*['\"]{SIBLING}['\"]"),
    "a path inside the folder": re.compile(rf"\b{SIBLING}[/\\](?:reference|hooks|DESIGN\.md|formulas\.md)"),
    "an absolute path to the folder": re.compile(rf"/work/{SIBLING}\b"),
    "prose pointing readers to the folder": re.compile(rf"\b{SIBLING} (?:folder|reference)\b", re.IGNORECASE),
}
"""What a reference to the folder beside the repository looks like, by the reason it is one."""


def repository_files() -> list[Path]:
    """Every text file of the repository (binary files such as docs/img/*.png are left out), sorted."""
    found = []
    for folder, directories, files in os.walk(REPO):
        directories[:] = sorted(d for d in directories if d not in SKIPPED_DIRECTORIES and not d.endswith(".egg-info"))
        for name in files:
            if name == ".git":  # a git worktree's pointer to its repository: version control, not ours
                continue
            path = Path(folder) / name
            data = path.read_bytes()
            if b"\0" in data:
                continue
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            found.append(path)
    return sorted(found)


def references_to_the_sibling(text: str) -> list[tuple[int, str, str]]:
    """(line number, reason, line) of every line of ``text`` that refers to the folder beside the repository."""
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for reason, pattern in REFERENCES_TO_THE_SIBLING.items():
            if pattern.search(line):
                hits.append((number, reason, line.strip()))
    return hits


def test_no_file_of_the_repository_refers_to_the_folder_beside_it():
    found = []
    for path in repository_files():
        if path == THIS_FILE:  # it names the patterns it looks for
            continue
        for number, reason, line in references_to_the_sibling(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(REPO)}:{number}: {reason}: {line}")
    assert not found, (
        "the repository must stand alone (a user clones only it): use docs/design.md, docs/formulas.md and "
        "tests/reference/ instead of the folder beside it:\n" + "\n".join(found)
    )


def test_the_scan_reads_code_configuration_scripts_and_docs_and_skips_what_is_not_ours():
    scanned = {path.relative_to(REPO).as_posix() for path in repository_files()}
    for expected in (
        "pyproject.toml", "Makefile", "README.md", "scripts/setup.sh", ".ci/run", "examples/site.toml",
        "docs/design.md", "docs/formulas.md", "tests/reference/README.md", "tests/reference/petroleum_cases.json",
        "tests/reference_cases.py", "tests/conftest.py", "bulkdaq/store/contract.py", "calculators/survey/draft_survey.py",
        "collectors/modbus/collector.py", "dashboards/grafana/provisioning.py", "simulators/plant.py",
    ):
        assert expected in scanned, f"{expected} is not scanned"
    assert not [p for p in scanned if p.split("/")[0] in SKIPPED_DIRECTORIES or ".egg-info/" in p]
    assert not [p for p in scanned if p.endswith(".png")]


@pytest.mark.parametrize(
    "line",
    [
        'SHARED = REPO.parent / "shared"',
        "CASES = json.loads((REPO.parent / 'shared' / 'reference' / 'petroleum_cases.json').read_text())",
        'ROOT = Path(__file__).resolve().parents[2] / "shared"',
        'os.path.join(HERE, "..", "shared", "reference")',
        "see ../shared/DESIGN.md §7",
        "cases in `shared/reference/draft_survey_cases.json`",
        "open('/work/shared/formulas.md')",
        "Design decisions and their reasons: `DESIGN.md` in the project's shared folder.",
        "a real survey (the shared reference case `DS-EVERSHIP-COAL-2019`)",
    ],
)
def test_a_reference_to_the_folder_beside_the_repository_is_found(line):
    assert references_to_the_sibling(line), line


@pytest.mark.parametrize(
    "line",
    [
        "Modbus TCP and RTU (a shared serial bus, one request at a time)",
        "shared with the weight certificate: standard library only",
        '"""Shared fixtures: a real influxd (Debian\'s influxdb) on a free loopback port."""',
        "because these machines are shared and noisy",
        "Design decisions and their reasons: [docs/design.md](docs/design.md).",
        'REFERENCE_DIR = Path(__file__).resolve().parent / "reference"',
        "the reference case `DS-EVERSHIP-COAL-2019` (tests/reference/draft_survey_cases.json)",
    ],
)
def test_an_ordinary_use_of_the_word_is_not_a_reference(line):
    assert references_to_the_sibling(line) == []


# -- the reference cases -------------------------------------------------------------------------------


def test_the_reference_files_are_inside_the_repository_and_all_read_by_the_loader():
    assert reference_cases.REFERENCE_DIR == REPO / "tests" / "reference"
    on_disk = sorted(path.name for path in reference_cases.REFERENCE_DIR.glob("*.json"))
    assert on_disk == sorted(reference_cases.FILES)


def test_every_reference_case_names_its_source_and_its_id_is_unique():
    ids = []
    for name in reference_cases.FILES:
        document = reference_cases.document(name)
        assert document["about"], name
        for case in document["cases"]:
            ids.append(case["id"])
            source = case["source"]
            for key in reference_cases.SOURCE_KEYS:
                assert isinstance(source.get(key), str) and source[key].strip(), f"{case['id']}: source has no {key}"
            assert "transcribed_in" in source or "url" in source, f"{case['id']}: source says neither where it was read nor its address"
    assert len(ids) == len(set(ids)) == 19


def test_the_reference_readme_describes_every_file_and_every_case():
    readme = (reference_cases.REFERENCE_DIR / "README.md").read_text(encoding="utf-8")
    for name in reference_cases.FILES:
        assert f"`{name}`" in readme, name
        for case in reference_cases.document(name)["cases"]:
            assert case["id"] in readme, case["id"]


def test_the_loader_gives_copies_and_refuses_unknown_names():
    first = reference_cases.reference_case("DS-EVERSHIP-COAL-2019")
    first["expected"]["initial"]["net_displacement_t"] = 0.0
    assert reference_cases.reference_case("DS-EVERSHIP-COAL-2019")["expected"]["initial"]["net_displacement_t"] == 14987.52
    assert [c["id"] for c in reference_cases.petroleum_cases("table_56")] == [
        "WCF-56-WORKSHEET-9534", "WCF-56-WORKSHEET-9476", "WCF-56-WORKSHEET-9477", "WCF-56-WORKSHEET-9475",
    ]
    with pytest.raises(LookupError, match="no reference case 'VCF-NONE'"):
        reference_cases.reference_case("VCF-NONE")
    with pytest.raises(LookupError, match="has no case of family 'table_54A'"):
        reference_cases.petroleum_cases("table_54A")


def test_only_the_loader_opens_the_reference_files():
    readers = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path.name in ("reference_cases.py", THIS_FILE.name):
            continue
        text = path.read_text(encoding="utf-8")
        readers += [f"{path.name}: {name}" for name in reference_cases.FILES if name in text]
    assert not readers, "read the reference cases through tests/reference_cases.py: " + ", ".join(readers)


def test_every_number_in_the_reference_files_reads_back_as_written():
    """What a file shows is what the tests assert: each number is written in the one form Python reads and
    writes back unchanged. A literal such as 0.0170 would be read as 0.017, and the draft survey tests take
    the decimals a source prints from the number read, so a trailing zero would silently assert less."""
    for name in reference_cases.FILES:
        text = (reference_cases.REFERENCE_DIR / name).read_text(encoding="utf-8")
        assert json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n" == text, name
