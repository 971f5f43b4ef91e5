"""Clear errors: wrong password, wrong certificate (either side), unknown node, unknown namespace URI,
and bad `[opcua]` sections of a site file with their key paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.opcua_section import OpcUaNode
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from opcua_support import SITE, pki, plant_model, plant_site, secured_client, secured_plant, series
from scenario import run_collector_until
from simulators.plant import PlantServer
from simulators.scenario_clock import ScenarioClock
from site_files import write_site


async def test_each_misconfigured_source_says_why_and_the_good_one_keeps_collecting(
    influx_db: InfluxReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = pki(tmp_path)
    monkeypatch.setenv("GOOD_PASSWORD", "s3cret-pump")
    monkeypatch.setenv("WRONG_PASSWORD", "guess")
    strangers_only = tmp_path / "trusts-only-the-stranger"
    strangers_only.mkdir()
    (strangers_only / "stranger.der").write_bytes(paths["stranger_cert"].read_bytes())
    plant = PlantServer(plant_model(), ScenarioClock(100.0), port=free_port(), security=secured_plant(paths, "s3cret-pump"))
    await plant.start()
    base = plant_site(influx_db, plant.endpoint, tmp_path, **secured_client(paths, "GOOD_PASSWORD"))
    good = base.config.opcua.servers[0]
    # A good source that also names one node that does not exist and one in a namespace the server lacks.
    extra = [
        OpcUaNode(node_id="s=T-101.Levle", measurement="signal", asset="typo", field="value"),
        OpcUaNode(node_id="s=T-101.Level", namespace_uri="urn:other:vendor", measurement="signal", asset="elsewhere", field="value"),
    ]
    servers = [
        good.model_copy(update={"name": "good", "nodes": [*good.nodes, *extra]}),
        good.model_copy(update={"name": "wrong-password", "password_env": "WRONG_PASSWORD"}),
        good.model_copy(update={"name": "untrusted-client", "certificate": paths["stranger_cert"], "private_key": paths["stranger_key"]}),
        good.model_copy(update={"name": "untrusted-server", "trusted_certificates": strangers_only}),
    ]
    config = base.config.model_copy(update={"opcua": base.config.opcua.model_copy(update={"servers": servers})})
    service = CollectorService(LoadedSite(base.path, config, ()), collector_name="test")
    assert service.opcua is not None
    collectors = {c.server.name: c for c in service.opcua.servers}
    try:
        await run_collector_until(service, lambda: collectors["good"].notifications > 40 and all(c.status.errors >= 2 for c in collectors.values() if c.server.name != "good"), timeout_s=30)
    finally:
        await plant.stop()

    errors = {name: c.status.last_error or "" for name, c in collectors.items()}
    assert "the server rejected user 'collector' (BadUserAccessDenied): wrong username or password" in errors["wrong-password"]
    assert "the server rejected our certificate" in errors["untrusted-client"] and "stranger.der" in errors["untrusted-client"]
    assert "BadCertificateUntrusted" in errors["untrusted-client"] or "BadSecurityChecksFailed" in errors["untrusted-client"]
    assert "the server's certificate (CN=plant) is not accepted by our trusted_certificates" in errors["untrusted-server"]
    for name in ("wrong-password", "untrusted-client", "untrusted-server"):
        assert not collectors[name].status.connected and collectors[name].sessions == 0
        assert collectors[name].status.errors >= 2  # it keeps trying (with a capped backoff)
    assert "s3cret" not in " ".join(errors.values())  # never a password in an error

    # The good source collected regardless, and named its two bad nodes by key path.
    assert collectors["good"].status.connected and collectors["good"].notifications > 40
    problems = {p.node.asset: p.problem for p in collectors["good"].node_problems}
    assert problems["typo"] == "node 's=T-101.Levle' in 'urn:bulkdaq:plant' cannot be monitored: BadNodeIdUnknown (no such node on the server)"
    assert problems["elsewhere"].startswith("namespace URI 'urn:other:vendor' is not served by opc.tcp://")
    typo_index = len(load_site(SITE).config.opcua.servers[0].nodes)  # appended after the example's own nodes
    assert f"opcua.servers[0].nodes[{typo_index}] (s=T-101.Levle)" in errors["good"]
    bad = {s.tags["name"]: s.values[0][1:] for s in influx_db.query("SELECT quality, quality_reason FROM signal WHERE \"name\" = 'typo' OR \"name\" = 'elsewhere' GROUP BY \"name\"")}
    assert bad["typo"][0] == "bad" and "BadNodeIdUnknown" in bad["typo"][1]
    assert bad["elsewhere"][0] == "bad" and "urn:other:vendor" in bad["elsewhere"][1]
    tov = series(influx_db, "SELECT count(tov_m3) FROM tank")
    assert tov and tov[0][1] >= 2


def test_missing_password_variable_stops_collect_at_start(influx_db: InfluxReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_PLANT_PASSWORD", raising=False)
    paths = pki(tmp_path)
    site = plant_site(influx_db, "opc.tcp://127.0.0.1:4840", tmp_path, **secured_client(paths, "NO_SUCH_PLANT_PASSWORD"))
    with pytest.raises(InputError, match=r"opcua\.servers\[0\]\.password_env: environment variable NO_SUCH_PLANT_PASSWORD is not set"):
        CollectorService(site)


SERVER = """
[[opcua.servers]]
name = "dcs"
endpoint = "opc.tcp://127.0.0.1:4840"
{server}
"""
NODE = """
[[opcua.servers.nodes]]
measurement = "tank"
asset = "T-101"
{node}
"""


# The input as given: what the [[opcua.servers]] section (namespace_uri = "urn:x" unless said) and its nodes hold.
BAD_INPUTS = [
    BadInput("site file", "OPC UA node id with its namespace index", 'node_id = "ns=2;s=C" (namespace_uri = "urn:x")', "without 'ns=…'"),
    BadInput("site file", "OPC UA node without a namespace URI", 'node_id = "s=A", no namespace_uri on the node nor the server',
             "no namespace_uri on the node nor on its server"),
    BadInput("site file", "OPC UA node with a node id and a browse path", 'node_id = "s=A"\nbrowse_path = "Plant/A"', "exactly one of browse_path"),
    BadInput("site file", "OPC UA password in the site file", 'password = "hunter2"\nusername = "u"', "'password' must not be written in the site file"),
    BadInput("site file", "OPC UA encryption without a certificate", 'security_mode = "SignAndEncrypt" (no certificate)', "bulkdaq certs create"),
    BadInput("site file", "OPC UA node field not of its measurement", 'field = "level_metres" (measurement "tank")', "is not a numeric field of measurement 'tank'"),
    BadInput("site file", "two OPC UA nodes writing one field", 'two nodes: asset = "T-101", field = "level_m"', "tank/T-101/level_m is already written by opcua.servers[0].nodes[0]"),
    BadInput("site file", "unknown OPC UA security mode", 'security_mode = "Encrypt"', "'None', 'Sign' or 'SignAndEncrypt'"),
    BadInput("site file", "OPC UA username without a password", 'username = "collector"', "needs a password"),
    BadInput("site file", "OPC UA node id of an unknown kind", 'node_id = "x=12"', "expected i=NUMBER, s=STRING"),
]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
# (the server's lines, its nodes' lines, the key path named)
_SECTIONS = [
    ('namespace_uri = "urn:x"', ['node_id = "s=A"\nfield = "level_m"', 'browse_path = "Plant/B"\nfield = "tov_m3"', 'node_id = "ns=2;s=C"\nfield = "temperature_c"'],
     "opcua.servers[0].nodes[2].node_id"),
    ("", ['node_id = "s=A"\nfield = "level_m"'], "opcua.servers[0].nodes[0].namespace_uri"),
    ('namespace_uri = "urn:x"', ['node_id = "s=A"\nbrowse_path = "Plant/A"\nfield = "level_m"'], "opcua.servers[0].nodes[0]"),
    ('namespace_uri = "urn:x"\npassword = "hunter2"\nusername = "u"', ['node_id = "s=A"\nfield = "level_m"'], "opcua.servers[0]"),
    ('namespace_uri = "urn:x"\nsecurity_mode = "SignAndEncrypt"', ['node_id = "s=A"\nfield = "level_m"'], "opcua.servers[0].certificate"),
    ('namespace_uri = "urn:x"', ['node_id = "s=A"\nfield = "level_metres"'], "opcua.servers[0].nodes[0].field"),
    ('namespace_uri = "urn:x"', ['node_id = "s=A"\nfield = "level_m"', 'node_id = "s=B"\nfield = "level_m"'], "opcua.servers[0].nodes[1].field"),
    ('namespace_uri = "urn:x"\nsecurity_mode = "Encrypt"', ['node_id = "s=A"\nfield = "level_m"'], "opcua.servers[0].security_mode"),
    ('namespace_uri = "urn:x"\nusername = "collector"', ['node_id = "s=A"\nfield = "level_m"'], "opcua.servers[0].username"),
    ('namespace_uri = "urn:x"', ['node_id = "x=12"\nfield = "level_m"'], "opcua.servers[0].nodes[0].node_id"),
]


@pytest.mark.parametrize(("case", "section"), list(zip(BAD_INPUTS, _SECTIONS, strict=True)), ids=ids(BAD_INPUTS))
def test_bad_opcua_section_names_file_key_and_problem(tmp_path: Path, case: BadInput, section: tuple[str, list[str], str]) -> None:
    server, nodes, key = section
    problem = case.expected_message_part
    body = SERVER.format(server=server) + "".join(NODE.format(node=n) for n in nodes)
    path = write_site(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_site(path)
    message = str(caught.value)
    assert f"{path}: {key}: " in message and problem in message
    assert "hunter2" not in message


def test_example_site_has_the_plant() -> None:
    site = load_site(Path(__file__).resolve().parents[3] / "examples" / "site.toml")
    server = site.config.opcua.servers[0]
    assert server.namespace_uri == "urn:bulkdaq:plant" and len(server.nodes) == 20
