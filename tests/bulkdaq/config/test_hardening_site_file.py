"""Site files that would have been accepted before issue 14 (b, c, d, f, g) are refused, each with the file,
the key path and what was expected:

* values are taken as the type they are written in: `port = "502"`, `poll_interval_s = true`, `scale = nan`
  are refused, not coerced;
* names written into InfluxDB (site, device, asset, meter, field) keep to one documented pattern, so no
  backslash, newline or space reaches line protocol; labels keep to one line;
* unit 0 on an RTU bus (broadcast: never answered) is refused;
* a URL with credentials (or a query that could hold them) is refused, and the message never repeats the
  password; `bulkdaq collect` says so in one line and exits 2;
* `[influxdb] create_database` is a boolean, true unless set.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from site_files import device, meter, point, write_site

SECRET = "Sup3r-s3cret"
BULKDAQ = Path(sys.executable).parent / "bulkdaq"


def _site(body_changes: dict[str, str] | None = None, *, header: dict[str, str] | None = None, rtu: bool = False) -> str:
    """A valid one-meter site's TOML (after the header of site_files.write_site), with lines replaced."""
    body = device("FT-101", 502, point(0, "float64", "FT-101", "mass_total_kg", extra="scale = 1.0\noffset = 0.0")) + meter("FT-101")
    if rtu:
        body = body.replace('host = "127.0.0.1"\nport = 502', 'transport = "rtu"\nserial_port = "/dev/ttyUSB0"')
    for old, new in (body_changes or {}).items():
        assert old in body, old
        body = body.replace(old, new, 1)
    return body


def _load(tmp_path: Path, body: str, header: dict[str, str] | None = None) -> Path:
    path = write_site(tmp_path, body)
    text = path.read_text(encoding="utf-8")
    for old, new in (header or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_site_loads(tmp_path: Path) -> None:
    site = load_site(_load(tmp_path, _site()))
    assert site.config.modbus.devices[0].points[0].asset == "FT-101"
    assert site.config.influxdb.create_database is True
    rtu = load_site(_load(tmp_path, _site(rtu=True)))
    assert rtu.config.modbus.devices[0].transport == "rtu" and rtu.config.modbus.devices[0].unit_id == 1


URL_LINE = 'url = "http://127.0.0.1:8086"'

# (case, body changes, header changes, RTU bus?, expected key path)
BAD_INPUTS = [
    BadInput("site file", "scale written as nan", "scale = nan", "Input should be a finite number; got nan"),
    BadInput("site file", "offset written as inf", "offset = inf", "Input should be a finite number; got inf"),
    BadInput("site file", "port written as text", 'port = "502"', "Input should be a valid integer; got '502' (text in quotes is not a number: write the number without quotes)"),
    BadInput("site file", "poll interval written as a boolean", "poll_interval_s = true", "Input should be a valid number; got True (true and false are not numbers)"),
    BadInput("site file", "unit id written as a float", "unit_id = 1.0", "Input should be a valid integer; got 1.0"),
    BadInput("site file", "timeout written as text", 'timeout_s = "1"', "Input should be a valid number; got '1' (text in quotes is not a number"),
    BadInput("site file", "meter rollover written as nan", "mass_rollover_kg = nan", "Input should be a finite number; got nan"),
    BadInput("site file", "create_database written as text", 'create_database = "yes"', "Input should be a valid boolean; got 'yes'"),
    BadInput("site file", "unit id 0 on an RTU bus", "unit_id = 0 (transport = \"rtu\")", "unit 0 is the broadcast address of a Modbus serial line"),
    BadInput("site file", "backslash in an asset name", 'asset = "FT\\\\101"', "'FT\\\\101' is not a name bulkdaq accepts: '\\\\' is not allowed; write 1 to 64 letters, digits and _ . : / -, starting with a letter or digit"),
    BadInput("site file", "trailing backslash in a meter id", 'id = "FT-101\\\\"', "'\\\\' is not allowed"),
    BadInput("site file", "newline in a device name", 'name = "FT-101\\nevil v=1"', "'FT-101\\nevil v=1' is not a name bulkdaq accepts: '\\n' is not allowed"),
    BadInput("site file", "space in a meter id", 'id = "Berth 2"', "'Berth 2' is not a name bulkdaq accepts: ' ' is not allowed"),
    BadInput("site file", "name starting with a dash", 'asset = "-FT-101"', "it starts with '-'"),
    BadInput("site file", "name of 65 characters", 'asset = "FFF…F" (65 characters)', "it has 65 characters"),
    BadInput("site file", "slash in the site name", 'name = "site/1"', "'/' is not allowed; write 1 to 64 letters, digits and _ . -"),
    BadInput("site file", "newline in a field name", 'field = "mass_total_kg\\n"', "'\\n' is not allowed"),
    BadInput("site file", "newline in a point label", 'name = "mass\\ntotal"', "holds the control character '\\n'; write the text on one line"),
    BadInput("site file", "space in a Modbus host", 'host = "127.0.0.1 evil"', "String should match pattern"),
    BadInput("site file", "user and password in the InfluxDB URL", f'url = "http://admin:{SECRET}@127.0.0.1:8086"',
             "the URL holds credentials (user:password@host); they must not be written in the site file"),
    BadInput("site file", "user in the InfluxDB URL", 'url = "http://admin@127.0.0.1:8086"', "the URL holds credentials"),
    BadInput("site file", "credentials in the URL query", f'url = "http://127.0.0.1:8086?u=admin&p={SECRET}"', "the URL holds a query (?…) or a fragment (#…)"),
    BadInput("site file", "credentials in a URL of another scheme", f'url = "ftp://admin:{SECRET}@127.0.0.1"',
             "expected an http:// or https:// URL with a host, e.g. \"http://influxdb:8086\"; got 'ftp://***@127.0.0.1'"),
    BadInput("site file", "URL with a port that is not a number", 'url = "http://127.0.0.1:port"', "not a URL (Port could not be cast to integer value"),
]
_EDITS: list[tuple[dict[str, str], dict[str, str], bool, str]] = [
    ({"scale = 1.0": "scale = nan"}, {}, False, "modbus.devices[0].points[0].scale"),
    ({"offset = 0.0": "offset = inf"}, {}, False, "modbus.devices[0].points[0].offset"),
    ({"port = 502": 'port = "502"'}, {}, False, "modbus.devices[0].port"),
    ({"poll_interval_s = 0.2": "poll_interval_s = true"}, {}, False, "modbus.devices[0].poll_interval_s"),
    ({"unit_id = 1": "unit_id = 1.0"}, {}, False, "modbus.devices[0].unit_id"),
    ({"timeout_s = 0.5": 'timeout_s = "1"'}, {}, False, "modbus.devices[0].timeout_s"),
    ({'kind = "coriolis"': 'kind = "coriolis"\nmass_rollover_kg = nan'}, {}, False, "meters[0].mass_rollover_kg"),
    ({}, {URL_LINE: URL_LINE + '\ncreate_database = "yes"'}, False, "influxdb.create_database"),
    ({"unit_id = 1": "unit_id = 0"}, {}, True, "modbus.devices[0].unit_id"),
    ({'asset = "FT-101"': 'asset = "FT\\\\101"'}, {}, False, "modbus.devices[0].points[0].asset"),
    ({'id = "FT-101"': 'id = "FT-101\\\\"'}, {}, False, "meters[0].id"),
    ({'name = "FT-101"': 'name = "FT-101\\nevil v=1"'}, {}, False, "modbus.devices[0].name"),
    ({'id = "FT-101"': 'id = "Berth 2"'}, {}, False, "meters[0].id"),
    ({'asset = "FT-101"': 'asset = "-FT-101"'}, {}, False, "modbus.devices[0].points[0].asset"),
    ({'asset = "FT-101"': f'asset = "{"F" * 65}"'}, {}, False, "modbus.devices[0].points[0].asset"),
    ({}, {'name = "test-site"': 'name = "site/1"'}, False, "site.name"),
    ({'field = "mass_total_kg"': 'field = "mass_total_kg\\n"'}, {}, False, "modbus.devices[0].points[0].field"),
    ({'name = "mass_total_kg"': 'name = "mass\\ntotal"'}, {}, False, "modbus.devices[0].points[0].name"),
    ({'host = "127.0.0.1"': 'host = "127.0.0.1 evil"'}, {}, False, "modbus.devices[0].host"),
    ({}, {URL_LINE: f'url = "http://admin:{SECRET}@127.0.0.1:8086"'}, False, "influxdb.url"),
    ({}, {URL_LINE: 'url = "http://admin@127.0.0.1:8086"'}, False, "influxdb.url"),
    ({}, {URL_LINE: f'url = "http://127.0.0.1:8086?u=admin&p={SECRET}"'}, False, "influxdb.url"),
    ({}, {URL_LINE: f'url = "ftp://admin:{SECRET}@127.0.0.1"'}, False, "influxdb.url"),
    ({}, {URL_LINE: 'url = "http://127.0.0.1:port"'}, False, "influxdb.url"),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_INPUTS, _EDITS, strict=True)), ids=ids(BAD_INPUTS))
def test_a_bad_site_file_is_refused_naming_the_key_and_what_was_expected(
    tmp_path: Path, case: BadInput, edit: tuple[dict[str, str], dict[str, str], bool, str]
) -> None:
    body_changes, header_changes, rtu, key = edit
    path = _load(tmp_path, _site(body_changes, rtu=rtu), header_changes)
    with pytest.raises(InputError) as caught:
        load_site(path)
    error = caught.value
    assert str(error).startswith(f"{path}: {key}: "), str(error)
    assert error.field == key
    assert case.expected_message_part in error.problem, error.problem
    assert SECRET not in str(error)


def test_collect_refuses_a_password_in_the_url_in_one_line_without_printing_it(tmp_path: Path) -> None:
    path = _load(tmp_path, _site(), {URL_LINE: f'url = "http://admin:{SECRET}@127.0.0.1:8086"'})
    result = subprocess.run([str(BULKDAQ), "collect", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    words = " ".join(result.stderr.split())  # the error console may wrap the one line
    assert result.stdout == "" and words.startswith(f"error: {path}: influxdb.url: the URL holds credentials (user:password@host)"), result.stderr
    assert SECRET not in result.stderr and "Traceback" not in result.stderr


def test_create_database_can_be_turned_off(tmp_path: Path) -> None:
    path = _load(tmp_path, _site(), {URL_LINE: URL_LINE + "\ncreate_database = false"})
    assert load_site(path).config.influxdb.create_database is False


def test_tcp_devices_keep_unit_id_0(tmp_path: Path) -> None:
    """Modbus TCP gateways address a directly attached device as unit 0: only a serial line broadcasts."""
    path = _load(tmp_path, _site({"unit_id = 1": "unit_id = 0"}))
    assert load_site(path).config.modbus.devices[0].unit_id == 0
