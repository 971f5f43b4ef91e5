"""The site file's [draft_observation] table: the limits `survey observe --site` and `shipment measure`
apply, checked like every other key of the site file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.cli.survey import observation_policy
from bulkdaq.config.observation_policy import DEFAULT_POLICY
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError

SITE = """
[site]
name = "berth-1"

[influxdb]
url = "http://127.0.0.1:8086"
database = "bulkdaq"
"""


def _site(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(SITE + extra, encoding="utf-8")
    return path


def test_the_site_file_gives_the_limits_and_a_policy_file_wins(tmp_path: Path) -> None:
    site = load_site(_site(tmp_path, "\n[draft_observation]\nmin_pairs = 8\nmax_spread_m = 0.3\n"))
    assert site.config.draft_observation.min_pairs == 8
    assert site.config.draft_observation.max_spread_m == 0.3
    assert site.config.draft_observation.hysteresis_m == DEFAULT_POLICY.hysteresis_m
    assert observation_policy(None, site).min_pairs == 8
    policy = tmp_path / "strict.toml"
    policy.write_text("[draft_observation]\nmin_pairs = 12\n", encoding="utf-8")
    assert observation_policy(policy, site).min_pairs == 12
    assert observation_policy(None, None) == DEFAULT_POLICY
    assert load_site(_site(tmp_path, "")).config.draft_observation == DEFAULT_POLICY


BAD_INPUTS = [
    BadInput("site file", "draft observation limit as text", '[draft_observation] min_pairs = "6"', "draft_observation.min_pairs: "),
    BadInput("site file", "draft observation limit not a number", "[draft_observation] max_spread_m = nan", "draft_observation.max_spread_m: "),
    BadInput("site file", "negative list limit", "[draft_observation] max_list_deg = -1", "draft_observation.max_list_deg: "),
    BadInput("site file", "misspelt draft observation key", "[draft_observation] min_pair = 6", "draft_observation.min_pair: unknown key"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=ids(BAD_INPUTS))
def test_a_bad_limit_in_the_site_file_names_the_file_and_the_key(tmp_path: Path, case: BadInput) -> None:
    line = case.given.removeprefix("[draft_observation] ")
    path = _site(tmp_path, f"\n[draft_observation]\n{line}\n")
    with pytest.raises(InputError) as refused:
        load_site(path)
    assert str(refused.value).startswith(f"{path}: ") and case.expected_message_part in str(refused.value)
