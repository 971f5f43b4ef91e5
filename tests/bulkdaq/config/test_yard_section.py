"""The site file's `[yard]` table (issue 17, docs/yard.md): the ledger, the balance rules and the belt scales with
their OIML R 50 class, Σmin and role. A belt scale must be a `scale` asset that a Modbus point or an OPC UA node
of the same file reads, with its totalizer; every bad value is refused naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from scenario import REPO
from site_files import device, meter, point, write_site

SCALES = (
    point(0, "float64", "BF-1", "total_t", measurement="scale")
    + point(4, "float32", "BF-1", "rate_t_h", measurement="scale")
    + point(10, "float64", "BP-1", "total_t", measurement="scale")
    + point(20, "float32", "BF-2", "rate_t_h", measurement="scale")  # a rate without its total
    + point(30, "float64", "FT-101", "mass_total_kg")
)
YARD = """
[yard]
ledger = "var/test-yard.sqlite"

[[yard.belt_scales]]
asset = "BF-1"
role = "feeder"
accuracy_class = 0.5
minimum_totalized_load_t = 50.0

[[yard.belt_scales]]
asset = "BP-1"
role = "product"
accuracy_class = 1
minimum_totalized_load_t = 100.0
verification = "initial_verification"
"""


def _body(old: str | None = None, new: str = "") -> str:
    """The base site, with the first `old` of its `[yard]` table written as `new`."""
    yard = YARD
    if old is not None:
        assert old in yard, old
        yard = yard.replace(old, new, 1)
    return device("YARD", 502, SCALES) + meter("FT-101") + yard


def test_a_yard_loads_with_its_classes_and_defaults(tmp_path: Path) -> None:
    yard = load_site(write_site(tmp_path, _body())).config.yard
    assert yard.ledger == Path("var/test-yard.sqlite") and yard.balance_rules is None
    feeder, product = yard.belt_scales
    assert (feeder.asset, feeder.role, feeder.accuracy_class, feeder.minimum_totalized_load_t, feeder.verification) == (
        "BF-1", "feeder", 0.5, 50.0, "in_service")
    assert (product.accuracy_class, product.verification) == (1.0, "initial_verification")
    assert yard.belt_scale("BP-1") is product
    with pytest.raises(KeyError, match=r"no belt scale 'BF-7' in \[yard\] of this site \(belt scales: BF-1, BP-1\)"):
        yard.belt_scale("BF-7")


def test_a_site_without_a_yard_has_no_belt_scales_and_the_default_ledger(tmp_path: Path) -> None:
    yard = load_site(write_site(tmp_path, device("FT-101", 502, point(0, "float64", "FT-101", "mass_total_kg")) + meter("FT-101"))).config.yard
    assert yard.belt_scales == [] and yard.ledger == Path("var/yard.sqlite") and yard.balance_rules is None


OPC_UA_SCALE = """
[[opcua.servers]]
name = "yard-dcs"
endpoint = "opc.tcp://127.0.0.1:4840"
namespace_uri = "urn:yard"

[[opcua.servers.nodes]]
node_id = "s=BF-9.Total"
measurement = "scale"
asset = "BF-9"
field = "total_t"
"""


def test_a_belt_scale_read_over_opc_ua_is_a_belt_scale(tmp_path: Path) -> None:
    body = _body().replace("\n[yard]", OPC_UA_SCALE + "\n[yard]", 1)
    body += '\n[[yard.belt_scales]]\nasset = "BF-9"\nrole = "receiving"\naccuracy_class = 2\nminimum_totalized_load_t = 10\n'
    site = load_site(write_site(tmp_path, body))
    assert [s.asset for s in site.config.yard.belt_scales] == ["BF-1", "BP-1", "BF-9"]
    assert (site.config.yard.belt_scale("BF-9").role, site.config.yard.belt_scale("BF-9").accuracy_class) == ("receiving", 2.0)


def test_the_example_yard_site_loads() -> None:
    site = load_site(REPO / "examples" / "yard" / "site.toml")
    assert [(s.asset, s.role, s.accuracy_class, s.minimum_totalized_load_t) for s in site.config.yard.belt_scales] == [
        ("BF-1", "feeder", 0.5, 50.0), ("BF-2", "feeder", 0.5, 50.0), ("BF-3", "feeder", 1.0, 20.0), ("BP-1", "product", 0.5, 100.0),
        ("BR-1", "receiving", 0.5, 200.0)]
    assert site.warnings == ()


ROOM = "site file"
# (what, the line replaced, the line written, the key named, part of the message)
_CASES = [
    ("belt scale class not of OIML R 50", "accuracy_class = 0.5", "accuracy_class = 3", "yard.belt_scales[0].accuracy_class",
     "accuracy class 3.0 is not a class of OIML R 50-1; expected one of 0.2, 0.5, 1, 2"),
    ("belt scale class 0.3", "accuracy_class = 0.5", "accuracy_class = 0.3", "yard.belt_scales[0].accuracy_class",
     "accuracy class 0.3 is not a class of OIML R 50-1"),
    ("belt scale class in quotes", "accuracy_class = 0.5", 'accuracy_class = "0.5"', "yard.belt_scales[0].accuracy_class",
     "text in quotes is not a number"),
    ("belt scale class true", "accuracy_class = 0.5", "accuracy_class = true", "yard.belt_scales[0].accuracy_class",
     "true and false are not numbers"),
    ("belt scale class missing", "accuracy_class = 0.5\n", "", "yard.belt_scales[0].accuracy_class", "required key is missing"),
    ("minimum totalized load zero", "minimum_totalized_load_t = 50.0", "minimum_totalized_load_t = 0",
     "yard.belt_scales[0].minimum_totalized_load_t", "Input should be greater than 0"),
    ("minimum totalized load negative", "minimum_totalized_load_t = 50.0", "minimum_totalized_load_t = -5.0",
     "yard.belt_scales[0].minimum_totalized_load_t", "Input should be greater than 0"),
    ("minimum totalized load nan", "minimum_totalized_load_t = 50.0", "minimum_totalized_load_t = nan",
     "yard.belt_scales[0].minimum_totalized_load_t", "Input should be a finite number"),
    ("belt scale role misspelt", 'role = "feeder"', 'role = "feedr"', "yard.belt_scales[0].role",
     "Input should be 'feeder', 'product' or 'receiving'"),
    ("belt scale verification unknown", 'verification = "initial_verification"', 'verification = "initial"', "yard.belt_scales[1].verification",
     "Input should be 'in_service' or 'initial_verification'"),
    ("belt scale no device reads", 'asset = "BF-1"', 'asset = "BF-7"', "yard.belt_scales[0].asset",
     "no Modbus point or OPC UA node of this file writes measurement 'scale' with asset 'BF-7' (scale assets: BF-1, BF-2, BP-1)"),
    ("belt scale that is a meter", 'asset = "BF-1"', 'asset = "FT-101"', "yard.belt_scales[0].asset",
     "no Modbus point or OPC UA node of this file writes measurement 'scale' with asset 'FT-101'"),
    ("belt scale without its totalizer", 'asset = "BF-1"', 'asset = "BF-2"', "yard.belt_scales[0].asset",
     "no point or node writes the totalizer scale/BF-2/total_t"),
    ("belt scale listed twice", 'asset = "BP-1"', 'asset = "BF-1"', "yard.belt_scales[1].asset",
     "belt scale 'BF-1' is already listed as yard.belt_scales[0]"),
    ("belt scale asset with a space", 'asset = "BF-1"', 'asset = "BF 1"', "yard.belt_scales[0].asset",
     "'BF 1' is not a name bulkdaq accepts: ' ' is not allowed"),
    ("belt scale unknown key", "accuracy_class = 0.5", "accuracy_class = 0.5\nclass = 0.5", "yard.belt_scales[0].class",
     "unknown key (check the spelling against docs/configuration.md)"),
    ("yard unknown key", 'ledger = "var/test-yard.sqlite"', 'ledger = "var/test-yard.sqlite"\nledgr = "x"', "yard.ledgr",
     "unknown key"),
    ("yard ledger not text", 'ledger = "var/test-yard.sqlite"', "ledger = 5", "yard.ledger", "Input is not a valid path"),
    ("yard balance rules not text", 'ledger = "var/test-yard.sqlite"', "balance_rules = true", "yard.balance_rules",
     "Input is not a valid path"),
]
# A key left out is shown as such in the table (its `given` cannot be empty).
BAD_INPUTS = [BadInput(ROOM, what, new or f"(no {old.split('=')[0].strip()} key)", message) for what, old, new, _key, message in _CASES]


@pytest.mark.parametrize(("case", "old", "new", "key"), [(b, c[1], c[2], c[3]) for b, c in zip(BAD_INPUTS, _CASES, strict=True)], ids=ids(BAD_INPUTS))
def test_a_bad_yard_value_is_refused_naming_the_file_and_key(tmp_path: Path, case: BadInput, old: str, new: str, key: str) -> None:
    path = write_site(tmp_path, _body(old, new))
    with pytest.raises(InputError) as raised:
        load_site(path)
    lines = str(raised.value).splitlines()
    assert any(line.startswith(f"{path}: {key}: ") and case.expected_message_part in line for line in lines), str(raised.value)
