"""A blending recipe (issue 17): components with their feeder scales, targets and tolerances, and the product
scale, checked against the site's `[[yard.belt_scales]]`; every mistake named with the recipe file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from bulkdaq.yard.recipe import load_recipe
from scenario import REPO

SITE = load_site(REPO / "examples" / "yard" / "site.toml")
RECIPE = REPO / "examples" / "yard" / "recipes" / "pb-blend-62.toml"

BASE = """
name = "PB-blend-62"
version = "3"
product_scale = "BP-1"

[[components]]
lot = "L-PILBARA-01"
scale = "BF-1"
target_pct = 60.0
tolerance_pp = 2.0

[[components]]
lot = "L-BRAZIL-07"
scale = "BF-2"
target_pct = 30.0
tolerance_pp = 2.0

[[components]]
lot = "L-SA-03"
scale = "BF-3"
target_pct = 10.0
tolerance_pp = 1.0
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_recipe_loads_as_the_run_document_carries_it() -> None:
    recipe = load_recipe(RECIPE, SITE)
    assert recipe.as_document() == {
        "name": "PB-blend-62", "version": "3", "product_scale": "BP-1",
        "components": [
            {"lot": "L-PILBARA-01", "scale": "BF-1", "target_pct": 60.0, "tolerance_pp": 2.0},
            {"lot": "L-BRAZIL-07", "scale": "BF-2", "target_pct": 30.0, "tolerance_pp": 2.0},
            {"lot": "L-SA-03", "scale": "BF-3", "target_pct": 10.0, "tolerance_pp": 1.0},
        ],
    }


def test_decimal_targets_that_sum_to_100_only_in_decimal_are_accepted(tmp_path: Path) -> None:
    # 33.33 + 33.33 + 33.34 is 100.00000000000001 in binary floating point: within the 1e-6 slack.
    text = BASE.replace("target_pct = 60.0", "target_pct = 33.33").replace("target_pct = 30.0", "target_pct = 33.33")
    text = text.replace("target_pct = 10.0", "target_pct = 33.34")
    recipe = load_recipe(_write(tmp_path, text), SITE)
    assert [c.target_pct for c in recipe.components] == [33.33, 33.33, 33.34]


ROOM = "recipe file"
# (what, the text replaced, the text written, the key named, part of the message)
_CASES = [
    ("targets not summing to 100", "target_pct = 10.0", "target_pct = 9.0", "components",
     "the target shares sum to 60 + 30 + 9 = 99 %; expected 100 %"),
    ("targets just over 100", "target_pct = 10.0", "target_pct = 10.00001", "components", "= 100.00001 %; expected 100 %"),
    ("component scale not a belt scale", 'scale = "BF-3"', 'scale = "BF-9"', "components[2].scale",
     "'BF-9' is not a belt scale of the site's [[yard.belt_scales]] (belt scales: BF-1 (feeder), BF-2 (feeder), BF-3 (feeder), BP-1 (product), BR-1 (receiving))"),
    ("component over the product scale", 'scale = "BF-3"', 'scale = "BP-1"', "components[2].scale",
     "'BP-1' is a product scale; a component is drawn over a feeder scale"),
    ("product scale a feeder", 'product_scale = "BP-1"', 'product_scale = "BF-2"', "product_scale",
     "'BF-2' is a feeder scale; the blend leaves on a product scale"),
    ("product scale not a belt scale", 'product_scale = "BP-1"', 'product_scale = "BP-2"', "product_scale",
     "'BP-2' is not a belt scale of the site's [[yard.belt_scales]]"),
    ("lot listed twice", 'lot = "L-SA-03"', 'lot = "L-PILBARA-01"', "components[2].lot",
     "lot 'L-PILBARA-01' is already components[0]; one entry per lot"),
    ("two components on one feeder", 'scale = "BF-3"', 'scale = "BF-1"', "components[2].scale",
     "scale 'BF-1' already feeds components[0]; each component needs its own feeder scale"),
    ("target share zero", "target_pct = 10.0", "target_pct = 0.0", "components[2].target_pct", "Input should be greater than 0"),
    ("target share over 100", "target_pct = 10.0", "target_pct = 101.0", "components[2].target_pct", "Input should be less than or equal to 100"),
    ("tolerance negative", "tolerance_pp = 1.0", "tolerance_pp = -1.0", "components[2].tolerance_pp", "Input should be greater than or equal to 0"),
    ("target in quotes", "target_pct = 10.0", 'target_pct = "10"', "components[2].target_pct", "text in quotes is not a number"),
    ("version as a number", 'version = "3"', "version = 3", "version", "Input should be a valid string"),
    ("name missing", 'name = "PB-blend-62"\n', "", "name", "required key is missing"),
    ("unknown recipe key", 'version = "3"', 'version = "3"\nproduct = "x"', "product", "unknown key (check the spelling against docs/yard.md)"),
    ("lot with a space", 'lot = "L-SA-03"', 'lot = "L SA 03"', "components[2].lot", "'L SA 03' is not a name bulkdaq accepts"),
]
# A key left out is shown as such in the table (its `given` cannot be empty).
BAD_INPUTS = [BadInput(ROOM, what, new or f"(no {old.split('=')[0].strip()} key)", message) for what, old, new, _key, message in _CASES]


@pytest.mark.parametrize(("case", "old", "new", "key"), [(b, c[1], c[2], c[3]) for b, c in zip(BAD_INPUTS, _CASES, strict=True)], ids=ids(BAD_INPUTS))
def test_a_bad_recipe_is_refused_naming_the_file_and_key(tmp_path: Path, case: BadInput, old: str, new: str, key: str) -> None:
    assert old in BASE, old
    path = _write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(InputError) as raised:
        load_recipe(path, SITE)
    lines = str(raised.value).splitlines()
    assert any(line.startswith(f"{path}: {key}: ") and case.expected_message_part in line for line in lines), str(raised.value)


def test_a_recipe_with_no_components_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "x"\nversion = "1"\nproduct_scale = "BP-1"\ncomponents = []\n')
    with pytest.raises(InputError, match=r"recipe.toml: components: List should have at least 1 item"):
        load_recipe(path, SITE)


def test_a_missing_recipe_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothing.toml: \(file\): no such file"):
        load_recipe(tmp_path / "nothing.toml", SITE)
