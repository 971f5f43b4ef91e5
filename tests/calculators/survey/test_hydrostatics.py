"""Hydrostatic table: interpolation, refusal to extrapolate, LCF conventions, the table audit."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.survey.hydrostatics import (
    DraftOutsideTable,
    HydrostaticTable,
    HydrostaticTableError,
    audit_table,
    lcf_from_midship_aft_positive,
)
from reference_cases import reference_case

# Four rows of the EVER SHIP table (reference case DS-EVERSHIP-COAL-2019, tests/reference): displacements
# 45914, 45990, 49716, 49792 t; TPC 75.8, 75.8, 76.3, 76.3 t/cm; LCF -7.71, -7.69, -7.12, -7.11 m from
# midships, aft positive; MTC 1081.0, 1081.4, 1102.4, 1102.8 t·m/cm.
DRAFTS = [6.43, 6.44, 6.93, 6.94]
_ROWS = {row["draft_m"]: row for row in reference_case("DS-EVERSHIP-COAL-2019")["hydrostatic_rows_subset"]}
DISPLACEMENTS = [_ROWS[draft]["displacement_t"] for draft in DRAFTS]
TPCS = [_ROWS[draft]["tpc"] for draft in DRAFTS]
LCFS = [_ROWS[draft]["lcf_m_aftpos"] for draft in DRAFTS]
MTCS = [_ROWS[draft]["mtc"] for draft in DRAFTS]


@pytest.fixture
def table() -> HydrostaticTable:
    return HydrostaticTable(DRAFTS, DISPLACEMENTS, TPCS, LCFS, MTCS)


def test_values_between_rows_are_linear(table):
    values = table.at(6.4317)
    # 17 % of the way from 6.43 to 6.44: 45914 + 0.17 × 76 = 45926.92; LCF -7.71 + 0.17 × 0.02 = -7.7066
    assert values.displacement_t == pytest.approx(45926.92, abs=1e-9)
    assert values.tpc_t_cm == pytest.approx(75.8, abs=1e-12)
    assert values.lcf_m == pytest.approx(-7.7066, abs=1e-12)
    assert values.mtc_t_m_cm == pytest.approx(1081.068, abs=1e-9)
    assert values.draft_m == 6.4317


def test_values_on_a_row_and_at_both_ends_are_the_row(table):
    for index, draft in enumerate(DRAFTS):
        values = table.at(draft)
        assert values.displacement_t == DISPLACEMENTS[index]
        assert values.lcf_m == LCFS[index]


def test_column_interpolation_takes_arrays(table):
    mtc = table.interpolate("mtc_t_m_cm", np.array([6.9317, 6.4317]))
    assert mtc == pytest.approx([1102.468, 1081.068], abs=1e-9)
    assert table.interpolate("tpc_t_cm", 6.935) == pytest.approx(76.3)


DRAFTS_OUTSIDE = [
    BadInput("hydrostatic table", "draft just below the table", 'table.at(6.4299, "quarter mean") (rows 6.43 … 6.94 m)', "never extrapolated"),
    BadInput("hydrostatic table", "draft just above the table", 'table.at(6.9401, "quarter mean") (rows 6.43 … 6.94 m)', "never extrapolated"),
    BadInput("hydrostatic table", "negative draft", 'table.at(-1.0, "quarter mean")', "never extrapolated"),
    BadInput("hydrostatic table", "draft of nan", 'table.at(float("nan"), "quarter mean")', "never extrapolated"),
]
_DRAFTS = [6.4299, 6.9401, -1.0, float("nan")]


@pytest.mark.parametrize(("case", "draft"), list(zip(DRAFTS_OUTSIDE, _DRAFTS, strict=True)), ids=ids(DRAFTS_OUTSIDE))
def test_drafts_outside_the_table_are_refused_not_extrapolated(table, case, draft):
    with pytest.raises(DraftOutsideTable) as raised:
        table.at(draft, "quarter mean")
    message = str(raised.value)
    assert message.startswith("quarter mean")
    assert "6.43 m to 6.94 m" in message and case.expected_message_part in message
    assert raised.value.low_m == 6.43 and raised.value.high_m == 6.94


def test_array_with_one_draft_outside_names_that_draft(table):
    with pytest.raises(DraftOutsideTable, match="7.5000 m"):
        table.interpolate("displacement_t", [6.5, 7.5])


def test_table_without_mtc_says_so(table):
    bare = HydrostaticTable(DRAFTS, DISPLACEMENTS, TPCS, LCFS)
    assert bare.at(6.5).mtc_t_m_cm is None
    with pytest.raises(ValueError, match="no mtc_t_m_cm column"):
        bare.interpolate("mtc_t_m_cm", 6.5)
    with pytest.raises(ValueError, match="no draft_m column"):
        table.interpolate("draft_m", 6.5)


def test_table_columns_are_private_read_only_copies():
    drafts = list(DRAFTS)
    table = HydrostaticTable(drafts, DISPLACEMENTS, TPCS, LCFS, MTCS)
    drafts[0] = 0.0
    assert table.draft_m[0] == 6.43
    with pytest.raises(ValueError):
        table.displacement_t[0] = 1.0
    assert len(table) == 4 and table.draft_range_m == (6.43, 6.94)


BAD_TABLES = [
    BadInput("hydrostatic table", "draft repeated in the next row", "draft_m = [6.43, 6.43]", "row 1 (6.43 m) follows 6.43 m"),
    BadInput("hydrostatic table", "drafts in falling order", "draft_m = [6.44, 6.43]", "increase strictly"),
    BadInput("hydrostatic table", "displacement column shorter than the drafts", "draft_m = [6.43, 6.44], displacement_t = [1]",
             "displacement_t has 1 values but draft_m has 2"),
    BadInput("hydrostatic table", "NaN draft in a row", 'draft_m = [6.43, float("nan")]', "draft_m row 1 is not a finite number"),
    BadInput("hydrostatic table", "table without rows", "draft_m = [], displacement_t = []", "at least one row"),
]
# (drafts, displacements, what the message must say before the expected part, as a regular expression)
_TABLES = [
    ([6.43, 6.43], [1, 2], "increase strictly.*"),
    ([6.44, 6.43], [1, 2], ""),
    ([6.43, 6.44], [1], ""),
    ([6.43, float("nan")], [1, 2], ""),
    ([], [], ""),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_TABLES, _TABLES, strict=True)), ids=ids(BAD_TABLES))
def test_bad_tables_are_refused(case, edit):
    drafts, displacements, before = edit
    message = before + re.escape(case.expected_message_part)
    n = len(drafts)
    with pytest.raises(HydrostaticTableError, match=message):
        HydrostaticTable(drafts, displacements, [75.8] * n, [0.0] * n)


@pytest.mark.parametrize(
    ("given", "convention", "expected"),
    [
        (-7.7066, "midship_aft_positive", -7.7066),
        (7.7066, "midship_forward_positive", -7.7066),
        # 7.7066 m forward of midships on LBP 227: 113.5 + 7.7066 = 121.2066 m from the AP …
        (121.2066, "from_ap", -7.7066),
        # … and 113.5 - 7.7066 = 105.7934 m from the FP
        (105.7934, "from_fp", -7.7066),
        # aft of midships: 2.46 m aft → 111.04 m from the AP, 115.96 m from the FP
        (111.04, "from_ap", 2.46),
        (115.96, "from_fp", 2.46),
    ],
)
def test_lcf_conventions_convert_to_midship_aft_positive(given, convention, expected):
    assert lcf_from_midship_aft_positive(given, convention, 227.0) == pytest.approx(expected, abs=1e-9)


def test_lcf_conversion_takes_arrays_and_refuses_unknown_conventions():
    assert lcf_from_midship_aft_positive([100.0, 120.0], "from_ap", 200.0) == pytest.approx([0.0, -20.0])
    with pytest.raises(ValueError, match="unknown LCF convention 'aft'"):
        lcf_from_midship_aft_positive(1.0, "aft", 227.0)
    with pytest.raises(ValueError, match="must be positive"):
        lcf_from_midship_aft_positive(1.0, "from_ap", 0.0)


def test_audit_passes_the_reference_table(table):
    # 6.43 → 6.44: 76 t against 100 × 75.8 × 0.01 = 75.8 t; 6.44 → 6.93: 3726 t against 3726.05 t
    assert audit_table(table) == ()


def test_audit_reports_a_misprinted_row():
    typo = HydrostaticTable(DRAFTS, [45914, 45990, 47916, 49792], TPCS, LCFS)  # 47916 printed for 49716
    findings = audit_table(typo)
    assert [finding.row_index for finding in findings] == [1, 2]
    first = findings[0]
    # 6.44 → 6.93: 47916 - 45990 = 1926 t; 100 × (75.8 + 76.3)/2 × 0.49 = 3726.45 t
    assert first.displacement_step_t == pytest.approx(1926.0)
    assert first.expected_step_t == pytest.approx(3726.45)
    assert first.difference_t == pytest.approx(-1800.45)
    assert first.allowed_t == pytest.approx(1.0 + 0.01 * 3726.45)
    assert "6.44 → 6.93 m" in first.message and "typo" in first.message


def test_audit_tolerance_is_fixed_plus_proportional():
    one_cm = HydrostaticTable([6.43, 6.44], [45914, 45915.6], [75.8, 75.8], [0, 0])
    # a 1 cm step should add 100 × 75.8 × 0.01 = 75.8 t; 1.6 t is a typo
    assert len(audit_table(one_cm)) == 1
    close = HydrostaticTable([6.43, 6.44], [45914, 45990.5], [75.8, 75.8], [0, 0])
    # 76.5 - 75.8 = 0.7 t, within 1.0 + 0.758 t
    assert audit_table(close) == ()
    assert len(audit_table(close, tolerance_t=0.0, tolerance_fraction=0.0)) == 1
    with pytest.raises(ValueError, match="must not be negative"):
        audit_table(close, tolerance_t=-1)


def test_scalar_look_ups_agree_with_numpy_interp_to_the_bit(table):
    drafts = np.linspace(6.43, 6.94, 1001)
    for column in ("displacement_t", "tpc_t_cm", "lcf_m", "mtc_t_m_cm"):
        vectorised = table.interpolate(column, drafts)
        assert isinstance(vectorised, np.ndarray)
        assert [table.interpolate(column, float(d)) for d in drafts] == vectorised.tolist()
        assert vectorised.tolist() == np.interp(drafts, DRAFTS, getattr(table, column)).tolist()


def test_row_interval_is_the_step_around_the_draft(table):
    assert table.row_interval_m(6.435) == pytest.approx(0.01)
    assert table.row_interval_m(6.5) == pytest.approx(0.49)
    assert table.row_interval_m(6.94) == table.row_interval_m(6.44) == 0.0  # on a row: nothing interpolated
    assert HydrostaticTable([6.43], [45914], [75.8], [-7.71]).row_interval_m(6.43) == 0.0


BAD_INPUTS = [*DRAFTS_OUTSIDE, *BAD_TABLES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
