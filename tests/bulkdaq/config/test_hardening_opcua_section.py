"""The site file's OPC UA section takes values as written, like the rest of the site file (issue 14):
no number in quotes, no float for a count, asset names to the documented pattern, and no credentials in
the endpoint (the message never repeats them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from site_files import plant_drafts, write_site

SECRET = "Pl4nt-s3cret"
BASE = plant_drafts("opc.tcp://127.0.0.1:4840", "MT-NORDIC-STAR")

BAD_INPUTS = [
    BadInput("site file", "OPC UA publishing interval written as text", 'publishing_interval_ms = "100.0"', "Input should be a valid number; got '100.0'"),
    BadInput("site file", "OPC UA queue size written as a float", "queue_size = 10.5", "Input should be a valid integer; got 10.5"),
    BadInput("site file", "OPC UA stale limit written as nan", "stale_after_s = nan", "Input should be a finite number; got nan"),
    BadInput("site file", "space in an OPC UA node's asset", 'asset = "MT NORDIC STAR"', "'MT NORDIC STAR' is not a name bulkdaq accepts: ' ' is not allowed"),
    BadInput("site file", "credentials in the OPC UA endpoint", f'endpoint = "opc.tcp://dcs:{SECRET}@127.0.0.1:4840"',
             "the endpoint holds credentials (user:password@host); they must not be written in the site file"),
]
_EDITS = [
    ("publishing_interval_ms = 100.0", 'publishing_interval_ms = "100.0"', "opcua.servers[0].publishing_interval_ms"),
    ("queue_size = 10", "queue_size = 10.5", "opcua.servers[0].queue_size"),
    ("stale_after_s = 3.0", "stale_after_s = nan", "opcua.servers[0].stale_after_s"),
    ('asset = "MT-NORDIC-STAR"', 'asset = "MT NORDIC STAR"', "opcua.servers[0].nodes[0].asset"),
    ('endpoint = "opc.tcp://127.0.0.1:4840"', f'endpoint = "opc.tcp://dcs:{SECRET}@127.0.0.1:4840"', "opcua.servers[0].endpoint"),
]


def test_the_base_section_loads(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path, BASE))
    server = site.config.opcua.servers[0]
    assert server.queue_size == 10 and server.publishing_interval_ms == 100.0
    assert [node.asset for node in server.nodes] == ["MT-NORDIC-STAR"] * 6


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_INPUTS, _EDITS, strict=True)), ids=ids(BAD_INPUTS))
def test_a_bad_opcua_section_is_refused_naming_the_key(tmp_path: Path, case: BadInput, edit: tuple[str, str, str]) -> None:
    old, new, key = edit
    assert old in BASE
    path = write_site(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(InputError) as refused:
        load_site(path)
    message = str(refused.value)
    assert f"{path}: {key}: " in message, message
    assert case.expected_message_part in message, message
    assert SECRET not in message
