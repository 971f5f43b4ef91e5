"""What a newcomer copies from a device manual or a habit is read as meant, or refused when the file is loaded:

* `register_order = "CDAB"` (the ABCD / CDAB / BADC / DCBA notation of device manuals, 64-bit forms too)
  stands for the `byte_order` and `word_order` it means, on a device or a point; given together with them,
  or an order bulkdaq cannot read, it is refused naming the key;
* a Modbus TCP `host` with a port (`"127.0.0.1:15020"`) or a scheme (`"tcp://…"`) is refused at load,
  naming the key and telling to write the port as `port`, not found only when the collector connects.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bulkdaq.config.register_types import REGISTER_ORDERS
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from collectors.modbus.point_codec import decode_point, encode_point
from site_files import meter, point, write_site

BULKDAQ = Path(sys.executable).parent / "bulkdaq"


def _device(extra: str = "", *, host: str = "127.0.0.1", points: str = "") -> str:
    return f"""
[[modbus.devices]]
name = "FT-101"
host = "{host}"
port = 502
{extra}
{points or point(0, "float32", "FT-101", "mass_total_kg") + point(2, "float64", "FT-101", "volume_total_m3")}
""" + meter("FT-101")


def _problem(tmp_path: Path, body: str) -> str:
    with pytest.raises(InputError) as caught:
        load_site(write_site(tmp_path, body))
    return str(caught.value)


@pytest.mark.parametrize(
    ("notation", "byte_order", "word_order", "float32_words"),
    [
        # float32 1.0 = bytes 3F 80 00 00 (A B C D), as the registers hold them
        ("ABCD", "big", "big", [0x3F80, 0x0000]),
        ("CDAB", "big", "little", [0x0000, 0x3F80]),
        ("BADC", "little", "big", [0x803F, 0x0000]),
        ("DCBA", "little", "little", [0x0000, 0x803F]),
    ],
)
def test_the_manual_notation_means_its_byte_and_word_order(tmp_path: Path, notation: str, byte_order: str, word_order: str, float32_words: list[int]) -> None:
    device = load_site(write_site(tmp_path, _device(f'register_order = "{notation}"'))).config.modbus.devices[0]
    assert (device.byte_order, device.word_order, device.register_order) == (byte_order, word_order, notation)
    mass, volume = device.points
    assert list(encode_point(device, mass, 1.0).values()) == float32_words
    # 64-bit: the same letters continued (ABCD → ABCDEFGH, CDAB → GHEFCDAB, …)
    raw = struct.pack(">d", 1.0e6)
    letters = {letter: raw[i] for i, letter in enumerate("ABCDEFGH")}
    long_form = next(n for n, orders in REGISTER_ORDERS.items() if len(n) == 8 and orders == (byte_order, word_order))
    expected = [letters[long_form[i]] << 8 | letters[long_form[i + 1]] for i in range(0, 8, 2)]
    words = encode_point(device, volume, 1.0e6)
    assert [words[("holding", 2 + i)] for i in range(4)] == expected
    assert decode_point(device, volume, words) == 1.0e6
    # the 64-bit spelling means the same
    again = load_site(write_site(tmp_path, _device(f'register_order = "{long_form}"'))).config.modbus.devices[0]
    assert (again.byte_order, again.word_order) == (byte_order, word_order)


def test_a_point_overrides_the_device_order_with_the_notation(tmp_path: Path) -> None:
    points = point(0, "float32", "FT-101", "mass_total_kg", extra='register_order = "CDAB"') + point(2, "float32", "FT-101", "density_kg_m3")
    device = load_site(write_site(tmp_path, _device('register_order = "ABCD"', points=points))).config.modbus.devices[0]
    swapped, plain = device.points
    assert (device.byte_order_of(swapped), device.word_order_of(swapped)) == ("big", "little")
    assert (device.byte_order_of(plain), device.word_order_of(plain)) == ("big", "big")


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ('register_order = "CDAB"\nword_order = "big"', "modbus.devices[0]", "register_order = 'CDAB' and word_order are both given; write one or the other"),
        ('register_order = "cdab"', "modbus.devices[0].register_order", "'cdab': write the letters in capitals, 'CDAB'"),
        ('register_order = "EFGHABCD"', "modbus.devices[0].register_order", "'EFGHABCD' is an order bulkdaq cannot read"),
        ('register_order = "big"', "modbus.devices[0].register_order", "'big' is not a register order; expected one of ABCD, CDAB, BADC, DCBA"),
    ],
)
def test_a_wrong_or_doubled_order_is_refused_naming_the_key(tmp_path: Path, extra: str, key: str, words: str) -> None:
    assert f"{key}: {words}" in _problem(tmp_path, _device(extra))


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("127.0.0.1:15020", "'127.0.0.1:15020' holds a port; write host = \"127.0.0.1\" and port = 15020 (the port is its own key)"),
        ("tcp://10.0.0.7:502", "'tcp://10.0.0.7:502' is a URL, and Modbus TCP has no tcp:// scheme; write host = \"10.0.0.7\" and port = 502"),
        ("[fd00::7]:5020", "'[fd00::7]:5020' holds a port; write host = \"fd00::7\" and port = 5020"),
        ("[fd00::7]", "'[fd00::7]': write an IPv6 address without brackets, host = \"fd00::7\""),
    ],
)
def test_a_host_with_a_port_or_a_scheme_is_refused_at_load(tmp_path: Path, host: str, words: str) -> None:
    assert f"modbus.devices[0].host: {words}" in _problem(tmp_path, _device(host=host))


@pytest.mark.parametrize("host", ["plc-7.terminal.local", "10.0.0.7", "fd00::7"])
def test_plain_hosts_still_load(tmp_path: Path, host: str) -> None:
    assert load_site(write_site(tmp_path, _device(host=host))).config.modbus.devices[0].host == host


def test_collect_refuses_the_port_in_host_before_it_starts(tmp_path: Path) -> None:
    site = write_site(tmp_path, _device(host="127.0.0.1:15020"))
    result = subprocess.run([BULKDAQ, "collect", str(site)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert f"{site}: modbus.devices[0].host: '127.0.0.1:15020' holds a port" in result.stderr
