"""Site files: the example loads; each kind of mistake gets an error naming file, key path and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput
from bulkdaq.config.site_file import load_site, resolve_credentials
from bulkdaq.errors import InputError
from site_files import device, meter, point, write_site

REPO = Path(__file__).resolve().parents[3]


def test_example_site_loads_with_its_devices_and_meters() -> None:
    site = load_site(REPO / "examples" / "site.toml")
    config = site.config
    assert config.site.name == "demo-terminal"
    assert [d.name for d in config.modbus.devices] == ["FT-101", "FT-102"]
    assert config.modbus.devices[1].word_order == "little"
    assert config.modbus.devices[1].points[1].overflow.unit == 1000.0
    assert [m.id for m in config.meters] == ["FT-101", "FT-102"]
    assert site.warnings == ()


def _error(tmp_path: Path, body: str) -> InputError:
    path = write_site(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_site(path)
    assert str(caught.value).startswith(str(path))
    return caught.value


def test_address_past_65535(tmp_path: Path) -> None:
    error = _error(tmp_path, device("D", 502, point(0, "uint16", "M", "status") + point(70000, "float32", "M", "density_kg_m3")))
    assert error.field == "modbus.devices[0].points[1].address"
    assert "less than or equal to 65535" in error.problem and "70000" in error.problem


def test_64_bit_type_on_too_few_registers(tmp_path: Path) -> None:
    error = _error(tmp_path, device("D", 502, point(65533, "uint64", "M", "mass_total_kg")))
    assert error.field == "modbus.devices[0].points[0].address"
    assert error.problem == "uint64 at 65533 needs 4 registers (65533…65536), past the last address 65535"


def test_unknown_data_type(tmp_path: Path) -> None:
    error = _error(tmp_path, device("D", 502, point(0, "float16", "M", "density_kg_m3")))
    assert error.field == "modbus.devices[0].points[0].data_type"
    assert "'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32' or 'float64'" in error.problem
    assert "'float16'" in error.problem


def test_overlapping_points(tmp_path: Path) -> None:
    points = point(0, "float64", "M", "mass_total_kg") + point(2, "float32", "M", "density_kg_m3")
    error = _error(tmp_path, device("D", 502, points))
    assert error.field == "modbus.devices[0].points[1].address"
    assert error.problem == "holding register 2 is also read by modbus.devices[0].points[0] ('mass_total_kg') (points overlap)"


def test_same_address_in_holding_and_input_tables_is_not_an_overlap(tmp_path: Path) -> None:
    points = point(0, "float64", "M", "mass_total_kg") + point(0, "float64", "M", "volume_total_m3", register="input")
    site = load_site(write_site(tmp_path, device("D", 502, points)))
    assert len(site.config.modbus.devices[0].points) == 2


def test_overflow_counter_overlapping_a_point(tmp_path: Path) -> None:
    points = point(0, "float32", "M", "volume_total_m3", extra='overflow = { address = 4, unit = 1000.0 }') + point(4, "float32", "M", "density_kg_m3")
    error = _error(tmp_path, device("D", 502, points))
    assert error.field == "modbus.devices[0].points[1].address"
    assert "also read by modbus.devices[0].points[0]" in error.problem


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    body = device("D", 502, point(0, "float16", "M", "density_kg_m3") + point(1, "uint16", "M", "status", register="coil"))
    error = _error(tmp_path, body)
    text = str(error)
    assert "modbus.devices[0].points[0].data_type" in text
    assert "modbus.devices[0].points[1].register" in text
    assert len(text.splitlines()) == 2


def test_missing_and_unknown_keys(tmp_path: Path) -> None:
    body = device("D", 502, point(0, "uint16", "M", "status")).replace('host = "127.0.0.1"\n', 'hostname = "127.0.0.1"\n')
    text = str(_error(tmp_path, body))
    assert "modbus.devices[0].hostname: unknown key" in text
    body = device("D", 502, point(0, "uint16", "M", "status")).replace('host = "127.0.0.1"\n', "")
    error = _error(tmp_path, body)
    assert (error.field, error.problem) == ("modbus.devices[0].host", "required key is missing (a Modbus TCP device needs a host)")


def test_rtu_devices_on_one_bus_share_line_settings_and_not_unit_ids(tmp_path: Path) -> None:
    rtu = 'transport = "rtu"\nserial_port = "/dev/ttyUSB0"\n'
    first = device("A", 502, point(0, "uint16", "A", "status")).replace('host = "127.0.0.1"\n', rtu)
    second = device("B", 502, point(0, "uint16", "B", "status"), unit_id=1).replace('host = "127.0.0.1"\n', rtu + "baudrate = 9600\n")
    text = str(_error(tmp_path, first + second))
    assert "modbus.devices[1].baudrate: 9600 differs from modbus.devices[0] on the same serial port /dev/ttyUSB0 (19200)" in text
    assert "modbus.devices[1].unit_id: unit 1 is already used on /dev/ttyUSB0 by modbus.devices[0]" in text
    no_port = device("C", 502, point(0, "uint16", "C", "status")).replace('host = "127.0.0.1"\n', 'transport = "rtu"\n')
    assert _error(tmp_path, no_port).field == "modbus.devices[0].serial_port"


def test_field_must_belong_to_the_measurement(tmp_path: Path) -> None:
    error = _error(tmp_path, device("D", 502, point(0, "float32", "T1", "level_m")))
    assert error.field == "modbus.devices[0].points[0].field"
    assert "'level_m' is not a numeric field of measurement 'meter'" in error.problem


def test_password_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write_site(tmp_path, "")
    path.write_text(path.read_text().replace('database = "bulkdaq"', 'database = "bulkdaq"\npassword = "hunter2"'))
    with pytest.raises(InputError) as caught:
        load_site(path)
    assert caught.value.field == "influxdb"
    assert "'password' must not be written in the site file" in caught.value.problem
    assert "hunter2" not in str(caught.value)


def test_meter_without_a_totalizer_point(tmp_path: Path) -> None:
    error = _error(tmp_path, device("D", 502, point(0, "float32", "FT-1", "density_kg_m3")) + meter("FT-1"))
    assert error.field == "meters[0].id"
    assert "no Modbus point writes a totalizer" in error.problem


def test_duplicate_device_names(tmp_path: Path) -> None:
    body = device("D", 502, point(0, "uint16", "A", "status")) + device("D", 503, point(0, "uint16", "B", "status"))
    error = _error(tmp_path, body)
    assert error.field == "modbus.devices[1].name"


def test_integer_field_needs_an_integer_type(tmp_path: Path) -> None:
    error = _error(tmp_path, device("D", 502, point(0, "float32", "M", "status")))
    assert error.field == "modbus.devices[0].points[0].data_type"


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[site\nname = 1\n")
    with pytest.raises(InputError) as caught:
        load_site(path)
    assert caught.value.field == "(syntax)" and "line 1" in caught.value.problem
    with pytest.raises(InputError, match="no such file"):
        load_site(tmp_path / "absent.toml")


def test_float32_totalizer_is_a_warning_not_an_error(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path, device("D", 502, point(0, "float32", "FT-1", "mass_total_kg")) + meter("FT-1")))
    assert len(site.warnings) == 1
    assert "FT-1/mass_total_kg is float32" in site.warnings[0] and "8 kg steps at 100,000 t" in site.warnings[0]


def test_credentials_come_from_environment_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "influx.password"
    secret.write_text("s3cret\n")
    path = write_site(tmp_path, "")
    text = path.read_text().replace('database = "bulkdaq"', f'database = "bulkdaq"\nusername_env = "T_USER"\npassword_file = "{secret}"')
    path.write_text(text)
    target = load_site(path).config.influxdb
    with pytest.raises(InputError, match="environment variable T_USER is not set"):
        resolve_credentials(target, path)
    monkeypatch.setenv("T_USER", "collector")
    credentials = resolve_credentials(target, path)
    assert (credentials.username, credentials.password) == ("collector", "s3cret")


def test_retries_cannot_hold_a_device_for_long(tmp_path: Path) -> None:
    body = device("D", 502, point(0, "uint16", "M", "status"), timeout=4.0).replace("byte_order", "retries = 3\nbyte_order", 1)
    error = _error(tmp_path, body)
    assert error.field == "modbus.devices[0].retries"
    assert error.problem == "3 retries × 4.0 s timeout could hold the device 16 s per read; keep timeout_s × (retries + 1) ≤ 10 s"


HEAD_INTERVALS = [
    BadInput("site file", "head interval of zero", "head_interval_s = 0", "Input should be greater than 0; got 0"),
    BadInput("site file", "negative head interval", "head_interval_s = -5.0", "Input should be greater than 0; got -5.0"),
    BadInput("site file", "head interval of inf", "head_interval_s = inf", "Input should be a finite number; got inf"),
    BadInput("site file", "head interval with its unit", 'head_interval_s = "1m"',
             "Input should be a valid number; got '1m' (text in quotes is not a number: write the number without quotes)"),
]


def test_head_interval_must_be_a_positive_number_of_seconds(tmp_path: Path) -> None:
    body = device("D", 502, point(0, "uint16", "M", "status"))
    assert load_site(write_site(tmp_path, body)).config.evidence.head_interval_s == 60.0  # the default
    assert load_site(write_site(tmp_path, "[evidence]\nhead_interval_s = 15\n" + body)).config.evidence.head_interval_s == 15.0
    for case in HEAD_INTERVALS:
        value, problem = case.given.removeprefix("head_interval_s = "), case.expected_message_part
        error = _error(tmp_path, f"[evidence]\nhead_interval_s = {value}\n" + body)
        assert (error.field, error.problem) == ("evidence.head_interval_s", problem), value
        assert str(error).startswith(f"{tmp_path / 'site.toml'}: evidence.head_interval_s: ")


BAD_INPUTS = HEAD_INTERVALS
"""Every bad input this module tries in a list (tests/bad_inputs.py: the table of docs/reliability.md)."""
