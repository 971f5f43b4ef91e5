"""A hydrostatic table no ship can have is refused, naming the row, the column and the values (issue 14 a).

Before, a displacement falling with draft was accepted and moved the cargo by 168 t with no warning.
Displacement must rise with draft, TPC and MTC must be above 0, and with the LBP every LCF must lie
between the perpendiculars. The error carries `row` and `column` so a file reader can name the key path
(tests/bulkdaq/inputs/test_hardening_inputs.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from bad_inputs import BadInput, ids
from calculators.survey.hydrostatics import HydrostaticTable, HydrostaticTableError

# Four rows of the EVER SHIP table (reference case DS-EVERSHIP-COAL-2019), LBP 227 m.
DRAFTS = [6.43, 6.44, 6.93, 6.94]
DISPLACEMENTS = [45914.0, 45990.0, 49716.0, 49792.0]
TPCS = [75.8, 75.8, 76.3, 76.3]
LCFS = [-7.71, -7.69, -7.12, -7.11]
MTCS = [1081.0, 1081.4, 1102.4, 1102.8]
LBP = 227.0


def _with(column: str, row: int, value: float) -> dict[str, list[float]]:
    columns = {"draft_m": DRAFTS, "displacement_t": DISPLACEMENTS, "tpc_t_cm": TPCS, "lcf_m": LCFS, "mtc_t_m_cm": MTCS}
    changed = {name: list(values) for name, values in columns.items()}
    changed[column][row] = value
    return changed


BAD_INPUTS = [
    BadInput("hydrostatic table", "displacement falling with draft", "row 2: draft 6.93 m, 45900 t (row 1: 45990 t)",
             "displacement_t must increase with draft: row 2 (draft 6.93 m, 45900 t) is not above row 1 (draft 6.44 m, 45990 t)"),
    BadInput("hydrostatic table", "displacement equal to the row before", "row 1: 45914 t, as row 0",
             "row 1 (draft 6.44 m, 45914 t) is not above row 0 (draft 6.43 m, 45914 t)"),
    BadInput("hydrostatic table", "TPC of zero", "row 3: TPC 0", "tpc_t_cm must be greater than 0: row 3 (draft 6.94 m) gives TPC 0"),
    BadInput("hydrostatic table", "negative TPC", "row 0: TPC -75.8", "row 0 (draft 6.43 m) gives TPC -75.8"),
    BadInput("hydrostatic table", "MTC of zero", "row 1: MTC 0", "mtc_t_m_cm must be greater than 0: row 1 (draft 6.44 m) gives MTC 0"),
    BadInput("hydrostatic table", "LCF beyond the aft perpendicular", "row 2: LCF 120 m aft, LBP 227 m",
             "lcf_m of row 2 (draft 6.93 m) puts the centre of flotation 120 m aft of midships, beyond the aft perpendicular (LBP 227 m: at most 113.5 m either way)"),
    BadInput("hydrostatic table", "LCF beyond the forward perpendicular", "row 0: LCF -114 m, LBP 227 m",
             "114 m forward of midships, beyond the forward perpendicular"),
    BadInput("hydrostatic table", "draft not increasing", "row 3: draft 6.93 m after 6.93 m", "draft_m must increase strictly from row to row; row 3 (6.93 m) follows 6.93 m"),
    BadInput("hydrostatic table", "NaN displacement", "row 1: displacement NaN", "displacement_t row 1 is not a finite number (nan)"),
    BadInput("hydrostatic table", "LBP that is not a number", "lbp_m = inf", "length between perpendiculars must be a positive number of metres, got inf"),
]
_TABLES = [
    (_with("displacement_t", 2, 45900.0), LBP, 2, "displacement_t"),
    (_with("displacement_t", 1, 45914.0), LBP, 1, "displacement_t"),
    (_with("tpc_t_cm", 3, 0.0), LBP, 3, "tpc_t_cm"),
    (_with("tpc_t_cm", 0, -75.8), LBP, 0, "tpc_t_cm"),
    (_with("mtc_t_m_cm", 1, 0.0), LBP, 1, "mtc_t_m_cm"),
    (_with("lcf_m", 2, 120.0), LBP, 2, "lcf_m"),
    (_with("lcf_m", 0, -114.0), LBP, 0, "lcf_m"),
    (_with("draft_m", 3, 6.93), LBP, 3, "draft_m"),
    (_with("displacement_t", 1, float("nan")), LBP, 1, "displacement_t"),
    (_with("lcf_m", 0, -7.71), float("inf"), None, None),
]


@pytest.mark.parametrize(("case", "table"), list(zip(BAD_INPUTS, _TABLES, strict=True)), ids=ids(BAD_INPUTS))
def test_a_table_no_ship_can_have_is_refused_with_the_row(case: BadInput, table: tuple[Any, ...]) -> None:
    columns, lbp, row, column = table
    with pytest.raises(HydrostaticTableError) as caught:
        HydrostaticTable(columns["draft_m"], columns["displacement_t"], columns["tpc_t_cm"], columns["lcf_m"], columns["mtc_t_m_cm"], lbp_m=lbp)
    assert case.expected_message_part in str(caught.value)
    assert (caught.value.row, caught.value.column) == (row, column)


def test_the_reference_rows_pass_and_lcf_is_checked_only_with_the_lbp() -> None:
    table = HydrostaticTable(DRAFTS, DISPLACEMENTS, TPCS, LCFS, MTCS, lbp_m=LBP)
    assert table.at(6.4317).displacement_t == pytest.approx(45926.92, abs=1e-9)
    far = _with("lcf_m", 2, 120.0)
    assert HydrostaticTable(far["draft_m"], far["displacement_t"], TPCS, far["lcf_m"]).lcf_m[2] == 120.0  # no LBP: no limit known
    # LCF is not monotone: it may move aft and come forward again between rows, and that is accepted
    wavy = HydrostaticTable(DRAFTS, DISPLACEMENTS, TPCS, [-7.71, -7.2, -7.9, -7.11], lbp_m=LBP)
    assert wavy.at(6.44).lcf_m == -7.2
