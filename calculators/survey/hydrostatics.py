"""A vessel's hydrostatic table: displacement, TPC, LCF and MTC against draft.

The table is read by linear interpolation between its rows and is never extrapolated: a draft outside
the table's range is refused with an error naming the draft and the range. LCF is kept in one sign
convention inside (distance from midships, aft positive) whatever convention the ship's booklet uses.

References
----------
UN/ECE, *Code of Uniform Standards and Procedures for the Performance of Draught Surveys of Coal
Cargoes*, ECE/ENERGY/19, Geneva 1992, §§ 5.4–5.6 (entering the hydrostatic tables at the corrected
mean draft, linear interpolation, LCF and MTC for the trim corrections).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bulkdaq.errors import BulkdaqError

LcfConvention = Literal["midship_aft_positive", "midship_forward_positive", "from_ap", "from_fp"]
LCF_CONVENTIONS: tuple[str, ...] = get_args(LcfConvention)

# Drafts within this distance of a table end are treated as on it: binary floating point can leave a
# mean draft a few ulps beyond the last row, which is not an extrapolation anyone could measure.
RANGE_SLACK_M = 1e-9


class HydrostaticTableError(BulkdaqError, ValueError):
    """The rows given cannot form a hydrostatic table (too few, not increasing, not finite, impossible).

    `row` (0-based) and `column` name the value at fault when there is one, so a reader of a file can put
    its key path on the message (``vessel.hydrostatics[3].displacement_t``); both None otherwise.
    """

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


class DraftOutsideTable(BulkdaqError, ValueError):
    """A draft at which the table was asked for values lies outside the table (no extrapolation)."""

    def __init__(self, draft_m: float, low_m: float, high_m: float, purpose: str = "draft") -> None:
        self.draft_m = float(draft_m)
        self.low_m = float(low_m)
        self.high_m = float(high_m)
        self.purpose = purpose
        # set by the draft survey so the error can be traced to the table that fell short
        self.survey: str | None = None
        self.table_source: str | None = None
        super().__init__(
            f"{purpose} {self.draft_m:.4f} m is outside the hydrostatic table, which covers "
            f"{self.low_m:g} m to {self.high_m:g} m; the table is never extrapolated "
            "(supply rows that bracket this draft)"
        )


def lcf_from_midship_aft_positive(lcf_m: ArrayLike, convention: str, lbp_m: float) -> np.ndarray | float:
    """Convert an LCF as printed in the ship's tables to a distance from midships, aft positive.

    Parameters
    ----------
    lcf_m : float or array_like
        Longitudinal centre of flotation as tabulated [m].
    convention : {'midship_aft_positive', 'midship_forward_positive', 'from_ap', 'from_fp'}
        How the table states the LCF: from midships with aft (or forward) positive, or as a distance
        forward of the aft perpendicular, or aft of the forward perpendicular.
    lbp_m : float
        Length between perpendiculars [m]; midships lies LBP/2 from either perpendicular.

    Returns
    -------
    float or numpy.ndarray
        LCF from midships [m], positive aft of midships, negative forward.

    Raises
    ------
    ValueError
        Unknown convention, or a non-positive LBP.

    References
    ----------
    UN/ECE Code (1992) § 5.5 (first trim correction uses LCF from midships); surveyor practice for
    booklets that tabulate LCF from the AP or FP.
    """
    if not lbp_m > 0:
        raise ValueError(f"length between perpendiculars must be positive, got {lbp_m!r} m")
    lcf = np.asarray(lcf_m, dtype=float)
    half = lbp_m / 2.0
    if convention == "midship_aft_positive":
        converted = lcf
    elif convention == "midship_forward_positive":
        converted = -lcf
    elif convention == "from_ap":
        # a point x forward of the AP lies (LBP/2 - x) aft of midships
        converted = half - lcf
    elif convention == "from_fp":
        # a point x aft of the FP lies (x - LBP/2) aft of midships
        converted = lcf - half
    else:
        raise ValueError(f"unknown LCF convention {convention!r}; expected one of {', '.join(LCF_CONVENTIONS)}")
    return float(converted) if converted.ndim == 0 else converted


@dataclass(frozen=True)
class HydrostaticValues:
    """Table values at one draft.

    Attributes: draft_m [m], displacement_t [t], tpc_t_cm [t/cm], lcf_m [m from midships, aft
    positive], mtc_t_m_cm [t·m/cm] or None when the table has no MTC column.
    """

    draft_m: float
    displacement_t: float
    tpc_t_cm: float
    lcf_m: float
    mtc_t_m_cm: float | None


@dataclass(frozen=True)
class TableAuditFinding:
    """Two consecutive rows whose displacement step disagrees with the TPC between them.

    expected_step_t = 100 × mean TPC of the two rows [t/cm] × draft step [m]; difference_t =
    displacement_step_t − expected_step_t; allowed_t is the tolerance that was exceeded.
    """

    row_index: int
    draft_from_m: float
    draft_to_m: float
    displacement_step_t: float
    expected_step_t: float
    difference_t: float
    allowed_t: float

    @property
    def message(self) -> str:
        return (
            f"hydrostatic table rows {self.row_index} → {self.row_index + 1} "
            f"(draft {self.draft_from_m:g} → {self.draft_to_m:g} m): displacement rises "
            f"{self.displacement_step_t:.2f} t but 100 × TPC × draft step gives {self.expected_step_t:.2f} t "
            f"(difference {self.difference_t:+.2f} t, allowed ±{self.allowed_t:.2f} t); check the table for a typo"
        )


def _column(name: str, values: ArrayLike, size: int | None) -> np.ndarray:
    array = np.array(values, dtype=float)  # a private copy, so the table cannot change under us
    if array.ndim != 1:
        raise HydrostaticTableError(f"{name} must be a one-dimensional column, got shape {array.shape}")
    if size is not None and array.size != size:
        raise HydrostaticTableError(f"{name} has {array.size} values but draft_m has {size}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise HydrostaticTableError(f"{name} row {int(bad[0])} is not a finite number ({float(array[bad[0]])!r})", int(bad[0]), name)
    array.setflags(write=False)
    return array


def _check_rows(table: HydrostaticTable, lbp_m: float | None) -> None:
    """Refuse a table no ship can have, naming the first row at fault and its values.

    * displacement strictly increasing with draft: a deeper ship displaces more water (TPC > 0 is its
      slope), so a row whose displacement does not rise is a misprint and would move the cargo silently;
    * TPC > 0 and MTC > 0: the area of the waterplane and its moment of inertia are positive;
    * with the LBP: |LCF| ≤ LBP/2 from midships: the centre of flotation lies on the ship, between the
      perpendiculars (a value beyond is the wrong LCF convention or a misprint).

    LCF is not monotone (it moves aft, then may come forward, as the waterplane changes) and its slope
    differs from hull to hull, so no limit on its change between rows is imposed: the displacement/TPC
    audit (`audit_table`) and the table's own range remain the checks of a misprinted LCF.
    """
    drafts, displacement = table.draft_m, table.displacement_t
    steps = np.diff(displacement)
    if np.any(steps <= 0):
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise HydrostaticTableError(
            f"displacement_t must increase with draft: row {row} (draft {drafts[row]:g} m, {displacement[row]:g} t) "
            f"is not above row {row - 1} (draft {drafts[row - 1]:g} m, {displacement[row - 1]:g} t); a deeper ship "
            "displaces more water: check the table for a misprint",
            row, "displacement_t",
        )
    for name, what in (("tpc_t_cm", "TPC"), ("mtc_t_m_cm", "MTC")):
        column = getattr(table, name)
        if column is None:
            continue
        bad = np.flatnonzero(column <= 0)
        if bad.size:
            row = int(bad[0])
            raise HydrostaticTableError(
                f"{name} must be greater than 0: row {row} (draft {drafts[row]:g} m) gives {what} {column[row]:g}",
                row, name,
            )
    if lbp_m is not None:
        half = lbp_m / 2.0
        bad = np.flatnonzero(np.abs(table.lcf_m) > half)
        if bad.size:
            row = int(bad[0])
            lcf = float(table.lcf_m[row])
            side = "aft" if lcf > 0 else "forward"
            raise HydrostaticTableError(
                f"lcf_m of row {row} (draft {drafts[row]:g} m) puts the centre of flotation {abs(lcf):g} m {side} of "
                f"midships, beyond the {'aft' if lcf > 0 else 'forward'} perpendicular (LBP {lbp_m:g} m: at most "
                f"{half:g} m either way); check the value and the LCF convention",
                row, "lcf_m",
            )


@dataclass(frozen=True, eq=False)
class HydrostaticTable:
    """Hydrostatic particulars of one vessel against draft, read by linear interpolation.

    Parameters
    ----------
    draft_m : array_like
        Drafts of the rows, strictly increasing [m].
    displacement_t : array_like
        Displacement at the table density [t].
    tpc_t_cm : array_like
        Tonnes per centimetre immersion [t/cm].
    lcf_m : array_like
        Longitudinal centre of flotation from midships, aft positive [m] (convert booklet figures
        with :func:`lcf_from_midship_aft_positive` first).
    mtc_t_m_cm : array_like, optional
        Moment to change trim one centimetre [t·m/cm]; needed by the second trim correction unless
        the surveyor supplies MTC at QM ± 0.5 m.
    lbp_m : float, optional
        Length between perpendiculars [m]; when given, every LCF must lie within ± LBP/2 of midships.

    Raises
    ------
    HydrostaticTableError
        Fewer than one row, columns of different lengths, non-finite values, drafts or displacements not
        strictly increasing, a TPC or MTC not above 0, an LCF beyond the perpendiculars; the error's
        `row` and `column` name the value at fault.
    """

    draft_m: NDArray[np.float64]
    displacement_t: NDArray[np.float64]
    tpc_t_cm: NDArray[np.float64]
    lcf_m: NDArray[np.float64]
    mtc_t_m_cm: NDArray[np.float64] | None = None
    lbp_m: float | None = None
    # Python-float copies for the scalar look-ups a survey makes (see `interpolate`), set after validation
    _drafts: tuple[float, ...] = field(init=False, repr=False)
    _columns: dict[str, tuple[float, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        draft = _column("draft_m", self.draft_m, None)
        if draft.size < 1:
            raise HydrostaticTableError("a hydrostatic table needs at least one row")
        steps = np.diff(draft)
        if np.any(steps <= 0):
            row = int(np.flatnonzero(steps <= 0)[0]) + 1
            raise HydrostaticTableError(
                f"draft_m must increase strictly from row to row; row {row} ({draft[row]:g} m) "
                f"follows {draft[row - 1]:g} m",
                row, "draft_m",
            )
        object.__setattr__(self, "draft_m", draft)
        for name in ("displacement_t", "tpc_t_cm", "lcf_m"):
            object.__setattr__(self, name, _column(name, getattr(self, name), draft.size))
        if self.mtc_t_m_cm is not None:
            object.__setattr__(self, "mtc_t_m_cm", _column("mtc_t_m_cm", self.mtc_t_m_cm, draft.size))
        if self.lbp_m is not None and not (math.isfinite(self.lbp_m) and self.lbp_m > 0):
            raise HydrostaticTableError(f"length between perpendiculars must be a positive number of metres, got {self.lbp_m!r}")
        _check_rows(self, self.lbp_m)
        # Python-float copies for the scalar look-ups a survey makes (see `interpolate`)
        object.__setattr__(self, "_drafts", tuple(draft.tolist()))
        object.__setattr__(
            self,
            "_columns",
            {name: tuple(getattr(self, name).tolist()) for name in _COLUMNS if getattr(self, name) is not None},
        )

    @property
    def draft_range_m(self) -> tuple[float, float]:
        """Lowest and highest draft of the table [m]."""
        return float(self.draft_m[0]), float(self.draft_m[-1])

    def __len__(self) -> int:
        return int(self.draft_m.size)

    def _checked(self, draft_m: ArrayLike, purpose: str) -> np.ndarray:
        drafts = np.asarray(draft_m, dtype=float)
        low, high = self.draft_range_m
        outside = ~((drafts >= low - RANGE_SLACK_M) & (drafts <= high + RANGE_SLACK_M))
        if np.any(outside):
            first = drafts.flat[int(np.flatnonzero(outside.ravel())[0])]
            raise DraftOutsideTable(first, low, high, purpose)
        clipped: NDArray[np.float64] = np.clip(drafts, low, high)
        return clipped

    def _bracket(self, draft_m: float, purpose: str) -> tuple[int, float]:
        """Row index j and draft (clamped into the table) for a scalar look-up: x in [d_j, d_j+1]."""
        drafts = self._drafts
        draft = float(draft_m)
        if not drafts[0] - RANGE_SLACK_M <= draft <= drafts[-1] + RANGE_SLACK_M:  # also refuses NaN
            raise DraftOutsideTable(draft, drafts[0], drafts[-1], purpose)
        draft = min(max(draft, drafts[0]), drafts[-1])
        return max(bisect_right(drafts, draft) - 1, 0), draft

    def _value(self, column: tuple[float, ...], row: int, draft: float) -> float:
        # np.interp's own formula, so scalar and array look-ups agree to the last bit
        drafts = self._drafts
        if row >= len(drafts) - 1 or draft == drafts[row]:
            return column[row]
        slope = (column[row + 1] - column[row]) / (drafts[row + 1] - drafts[row])
        return slope * (draft - drafts[row]) + column[row]

    def interpolate(self, column: str, draft_m: ArrayLike, purpose: str = "draft") -> np.ndarray | float:
        """One column of the table at the given draft(s), by linear interpolation.

        Parameters
        ----------
        column : {'displacement_t', 'tpc_t_cm', 'lcf_m', 'mtc_t_m_cm'}
        draft_m : float or array_like
            Draft(s) [m]; each must lie within the table.
        purpose : str
            What the draft is (e.g. 'quarter mean + 0.5 m'), named in the error.

        Returns
        -------
        float or numpy.ndarray
            The column's value(s) at the draft(s), in the column's unit.

        Raises
        ------
        DraftOutsideTable
            A draft lies outside the table (never extrapolated).
        ValueError
            The table has no such column (e.g. no MTC).
        """
        values = getattr(self, column, None) if column in _COLUMNS else None
        if values is None:
            raise ValueError(f"the hydrostatic table has no {column} column")
        if np.ndim(draft_m) == 0:
            # one draft (the survey's case): checking and bisecting Python floats avoids numpy's
            # per-call array overhead, which cost more than the interpolation (benchmarks/draft_survey.py)
            row, draft = self._bracket(draft_m, purpose)  # type: ignore[arg-type]
            return self._value(self._columns[column], row, draft)
        drafts = self._checked(draft_m, purpose)
        interpolated: NDArray[np.float64] = np.interp(drafts, self.draft_m, values)
        return interpolated

    def at(self, draft_m: float, purpose: str = "draft") -> HydrostaticValues:
        """Displacement, TPC, LCF (and MTC when tabulated) at one draft.

        Parameters
        ----------
        draft_m : float
            Draft [m], normally the quarter mean corrected for trim and deflection.
        purpose : str
            What the draft is, named in the error.

        Returns
        -------
        HydrostaticValues

        Raises
        ------
        DraftOutsideTable
            The draft lies outside the table.

        References
        ----------
        UN/ECE Code (1992) § 5.4: the displacement, TPC and LCF are taken at the corrected mean draft by
        linear interpolation.
        """
        row, draft = self._bracket(draft_m, purpose)
        columns = self._columns
        mtc = columns.get("mtc_t_m_cm")
        return HydrostaticValues(
            draft_m=float(draft_m),
            displacement_t=self._value(columns["displacement_t"], row, draft),
            tpc_t_cm=self._value(columns["tpc_t_cm"], row, draft),
            lcf_m=self._value(columns["lcf_m"], row, draft),
            mtc_t_m_cm=None if mtc is None else self._value(mtc, row, draft),
        )

    def row_interval_m(self, draft_m: float) -> float:
        """Draft step [m] between the two rows interpolated at `draft_m`; 0 when it is on a row."""
        row, draft = self._bracket(draft_m, "draft")
        drafts = self._drafts
        return 0.0 if row >= len(drafts) - 1 or draft == drafts[row] else drafts[row + 1] - drafts[row]


_COLUMNS = ("displacement_t", "tpc_t_cm", "lcf_m", "mtc_t_m_cm")


def audit_table(
    table: HydrostaticTable, tolerance_t: float = 1.0, tolerance_fraction: float = 0.01
) -> tuple[TableAuditFinding, ...]:
    """Find rows whose displacement step disagrees with the TPC between them (table typos).

    Between consecutive rows the displacement should rise by about 100 × TPC × draft step (TPC in t/cm,
    draft step in m, TPC taken as the mean of the two rows). Tabulated figures are rounded and TPC is
    not constant over wide steps, so a step is reported only when it differs by more than
    ``tolerance_t + tolerance_fraction × expected step``.

    Parameters
    ----------
    table : HydrostaticTable
    tolerance_t : float, default 1.0
        Fixed allowance [t] for the rounding of tabulated displacements (two rows each ±0.5 t).
    tolerance_fraction : float, default 0.01
        Proportional allowance [-] for the curvature of TPC across wide steps.

    Returns
    -------
    tuple of TableAuditFinding
        One finding per disagreeing step, in table order; empty when the table is consistent.

    References
    ----------
    Surveyor practice: TPC is the slope of the displacement curve (UN/ECE Code (1992) § 5.4), so a
    displacement step that does not match it reveals a misprinted row.
    """
    if tolerance_t < 0 or tolerance_fraction < 0:
        raise ValueError(
            f"audit tolerances must not be negative, got {tolerance_t!r} t and {tolerance_fraction!r}"
        )
    draft_step = np.diff(table.draft_m)
    displacement_step = np.diff(table.displacement_t)
    expected_step = 100.0 * (table.tpc_t_cm[:-1] + table.tpc_t_cm[1:]) / 2.0 * draft_step
    difference = displacement_step - expected_step
    allowed = tolerance_t + tolerance_fraction * np.abs(expected_step)
    return tuple(
        TableAuditFinding(
            row_index=int(i),
            draft_from_m=float(table.draft_m[i]),
            draft_to_m=float(table.draft_m[i + 1]),
            displacement_step_t=float(displacement_step[i]),
            expected_step_t=float(expected_step[i]),
            difference_t=float(difference[i]),
            allowed_t=float(allowed[i]),
        )
        for i in np.flatnonzero(np.abs(difference) > allowed)
    )


__all__ = [
    "LCF_CONVENTIONS",
    "RANGE_SLACK_M",
    "DraftOutsideTable",
    "HydrostaticTable",
    "HydrostaticTableError",
    "HydrostaticValues",
    "LcfConvention",
    "TableAuditFinding",
    "audit_table",
    "lcf_from_midship_aft_positive",
]
