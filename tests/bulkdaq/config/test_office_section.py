"""The site file's `[office]` section (docs/office.md): the office's registry is a PostgreSQL URL with its
role, host and database and never a password; the password comes from the environment or a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site, office_password
from bulkdaq.errors import InputError
from site_files import write_site

SECRET = "0ff1ce-s3cret"
BASE = """
[office]
registry = "postgresql://zj_jet@db.office:5432/customs"
password_env = "ZJ_OFFICE_PASSWORD"
push_interval_s = 10.0
"""

BAD_INPUTS = [
    BadInput("site file", "office registry that is not PostgreSQL", 'registry = "sqlite:///var/office.sqlite"',
             "'sqlite:///var/office.sqlite' is not a PostgreSQL URL; write postgresql://ROLE@HOST:PORT/DATABASE"),
    BadInput("site file", "password in the office registry URL", f'registry = "postgresql://zj_jet:{SECRET}@db.office:5432/customs"',
             "the URL holds a password; it must not be written in the site file"),
    BadInput("site file", "office registry without its role", 'registry = "postgresql://db.office:5432/customs"',
             "lacks its role, host or database"),
    BadInput("site file", "office password written in the site file", f'password = "{SECRET}"',
             "'password' must not be written in the site file"),
    BadInput("site file", "office push interval written as text", 'push_interval_s = "10"', "Input should be a valid number; got '10'"),
    BadInput("site file", "office push interval of zero", "push_interval_s = 0", "Input should be greater than 0"),
]
_EDITS = [
    ('registry = "postgresql://zj_jet@db.office:5432/customs"', 'registry = "sqlite:///var/office.sqlite"', "office.registry"),
    ('registry = "postgresql://zj_jet@db.office:5432/customs"', f'registry = "postgresql://zj_jet:{SECRET}@db.office:5432/customs"', "office.registry"),
    ('registry = "postgresql://zj_jet@db.office:5432/customs"', 'registry = "postgresql://db.office:5432/customs"', "office.registry"),
    ('password_env = "ZJ_OFFICE_PASSWORD"', f'password = "{SECRET}"', "office"),
    ("push_interval_s = 10.0", 'push_interval_s = "10"', "office.push_interval_s"),
    ("push_interval_s = 10.0", "push_interval_s = 0", "office.push_interval_s"),
]


def test_the_office_section_loads_and_its_password_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = load_site(write_site(tmp_path, BASE))
    office = site.config.office
    assert office is not None and office.registry == "postgresql://zj_jet@db.office:5432/customs" and office.push_interval_s == 10.0
    monkeypatch.setenv("ZJ_OFFICE_PASSWORD", SECRET)
    assert office_password(office, site.path) == SECRET
    monkeypatch.delenv("ZJ_OFFICE_PASSWORD")
    with pytest.raises(InputError, match="office.password_env: environment variable ZJ_OFFICE_PASSWORD is not set"):
        office_password(office, site.path)
    assert load_site(write_site(tmp_path, "")).config.office is None  # a single terminal has none


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_INPUTS, _EDITS, strict=True)), ids=ids(BAD_INPUTS))
def test_a_bad_office_section_is_refused_naming_the_key(tmp_path: Path, case: BadInput, edit: tuple[str, str, str]) -> None:
    old, new, key = edit
    assert old in BASE
    path = write_site(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(InputError) as refused:
        load_site(path)
    message = str(refused.value)
    assert f"{path}: {key}: " in message, message
    assert case.expected_message_part in message, message
    assert SECRET not in message
