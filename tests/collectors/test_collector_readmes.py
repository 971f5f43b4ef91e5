"""Each collector's README carries a sample configuration; it must load as a site file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bulkdaq.config.site_file import load_site

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("room", ["modbus", "opcua"])
def test_the_readme_sample_configuration_is_a_valid_site_file(room: str, tmp_path: Path) -> None:
    readme = (REPO / "collectors" / room / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1, f"collectors/{room}/README.md: expected one ```toml sample"
    site_file = tmp_path / "site.toml"
    site_file.write_text(blocks[0], encoding="utf-8")
    site = load_site(site_file)
    if room == "modbus":
        assert [d.name for d in site.config.modbus.devices] == ["FT-101", "FC-7"]
        assert site.config.modbus.devices[1].transport == "rtu"
    else:
        assert [s.name for s in site.config.opcua.servers] == ["plant-dcs"]
        assert len(site.config.opcua.servers[0].nodes) == 2
