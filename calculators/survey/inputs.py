"""What a draft survey starts from: the mark readings and positions, the vessel's particulars, the
hydrostatic readings taken from the tables, the deductibles, and the error for impossible input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, cast, get_args

from bulkdaq.errors import BulkdaqError
from calculators.survey.hydrostatics import HydrostaticTable

MarkSide = Literal["forward", "aft"]
MeanMethod = Literal["quarter_mean", "river", "barge"]
MEAN_METHODS: tuple[str, ...] = get_args(MeanMethod)
DeductibleKind = Literal["ballast", "fresh_water", "fuel_oil", "diesel_oil", "lube_oil", "other"]
DEDUCTIBLE_KINDS: tuple[str, ...] = get_args(DeductibleKind)


class SurveyInputError(BulkdaqError, ValueError):
    """Survey input that is physically impossible or inconsistent (e.g. a negative density)."""


class OperationMismatch(SurveyInputError):
    """The surveys contradict the operation the job declares (a 'discharge' whose ship got heavier)."""


Operation = Literal["loading", "discharge"]
OPERATIONS: tuple[str, ...] = ("loading", "discharge")


@dataclass(frozen=True)
class MarkReadings:
    """The six draft mark readings [m] (as read, keel plate not yet applied)."""

    fwd_port: float
    fwd_stbd: float
    mid_port: float
    mid_stbd: float
    aft_port: float
    aft_stbd: float


@dataclass(frozen=True)
class MarkPosition:
    """Where a pair of draft marks stands relative to its perpendicular (or to midships).

    distance_m [m] ≥ 0 and side: 'forward' or 'aft' of the perpendicular / of midships.
    """

    distance_m: float
    side: MarkSide

    def __post_init__(self) -> None:
        if self.side not in ("forward", "aft"):
            raise SurveyInputError(f"mark side must be 'forward' or 'aft', got {self.side!r}")
        if not (math.isfinite(self.distance_m) and self.distance_m >= 0):
            raise SurveyInputError(
                f"mark distance must be a finite distance ≥ 0 m (the side says which way), got {self.distance_m!r}"
            )

    @property
    def offset_m(self) -> float:
        """Signed offset [m]: positive when the mark stands forward of its perpendicular."""
        if self.distance_m == 0:
            return 0.0  # no −0.0 on the form
        return self.distance_m if self.side == "forward" else -self.distance_m


@dataclass(frozen=True)
class MarkPositions:
    fwd: MarkPosition
    mid: MarkPosition
    aft: MarkPosition


@dataclass(frozen=True)
class Deductible:
    """One deductible weight: either `weight_t` [t], or `volume_m3` [m³] × `density_t_m3` [t/m³]."""

    kind: DeductibleKind
    name: str = ""
    weight_t: float | None = None
    volume_m3: float | None = None
    density_t_m3: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DEDUCTIBLE_KINDS:
            raise SurveyInputError(f"unknown deductible kind {self.kind!r}; expected one of {', '.join(DEDUCTIBLE_KINDS)}")
        by_weight = self.weight_t is not None
        by_volume = self.volume_m3 is not None or self.density_t_m3 is not None
        if by_weight == by_volume:
            raise SurveyInputError(
                f"deductible {self.name or self.kind!r}: give either a weight in t or a volume in m³ with a density in t/m³"
            )
        if by_volume and (self.volume_m3 is None or self.density_t_m3 is None):
            raise SurveyInputError(f"deductible {self.name or self.kind!r}: a volume needs a density and a density needs a volume")
        if by_volume and not (cast(float, self.density_t_m3) > 0):  # a volume has its density (checked above)
            raise SurveyInputError(f"deductible {self.name or self.kind!r}: density must be positive, got {self.density_t_m3!r} t/m³")


@dataclass(frozen=True)
class TableReadings:
    """The surveyor's own readings from the ship's tables for one survey.

    rows : HydrostaticTable
        The rows read (normally the two bracketing the quarter mean); MTC column not needed.
    mtc_plus_t_m_cm, mtc_minus_t_m_cm : float
        MTC at quarter mean + 0.5 m and − 0.5 m [t·m/cm].
    """

    rows: HydrostaticTable
    mtc_plus_t_m_cm: float
    mtc_minus_t_m_cm: float


@dataclass(frozen=True)
class VesselParticulars:
    """What the survey needs to know about the ship.

    lbp_m [m]; table_density_t_m3 [t/m³] (density the hydrostatic tables are computed for);
    keel_plate_mm [mm], subtracted from the drafts when the tables are moulded (0 for extreme tables);
    lightship_t [t] and declared_constant_t [t], optional; breadth_m [m], optional, to express a list
    in degrees; trim_range_m (min, max) [m], optional, the trims the tables are valid for.
    """

    lbp_m: float
    table_density_t_m3: float = 1.025
    keel_plate_mm: float = 0.0
    lightship_t: float | None = None
    declared_constant_t: float | None = None
    breadth_m: float | None = None
    trim_range_m: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.lbp_m > 0:
            raise SurveyInputError(f"length between perpendiculars must be positive, got {self.lbp_m!r} m")
        if not 0.9 < self.table_density_t_m3 < 1.1:
            raise SurveyInputError(
                f"table density {self.table_density_t_m3!r} t/m³ is not a water density (expected 0.9 to 1.1 t/m³)"
            )
        if not 0 <= self.keel_plate_mm < 100:
            raise SurveyInputError(f"keel plate thickness {self.keel_plate_mm!r} mm is outside 0 to 100 mm")
        if self.breadth_m is not None and not self.breadth_m > 0:
            raise SurveyInputError(f"breadth must be positive, got {self.breadth_m!r} m")
        if self.trim_range_m is not None and not self.trim_range_m[0] <= self.trim_range_m[1]:
            raise SurveyInputError(f"trim range {self.trim_range_m!r} m must be (minimum, maximum)")


@dataclass(frozen=True)
class SurveyConditionInput:
    """One draft survey (one set of readings): e.g. 'initial', 'final', 'draft_check'.

    dock_density_t_m3 [t/m³]; list_tpc_t_cm (port, starboard) [t/cm] optional (no list correction
    without it); table_readings optional (the surveyor's rows instead of the vessel table).
    """

    name: str
    marks: MarkReadings
    positions: MarkPositions
    dock_density_t_m3: float
    deductibles: tuple[Deductible, ...] = ()
    list_tpc_t_cm: tuple[float, float] | None = None
    table_readings: TableReadings | None = None

    def __post_init__(self) -> None:
        if not 0.9 < self.dock_density_t_m3 < 1.1:
            raise SurveyInputError(
                f"survey {self.name!r}: dock water density {self.dock_density_t_m3!r} t/m³ is not a water "
                "density (expected 0.9 to 1.1 t/m³; enter t/m³, not kg/m³)"
            )
        object.__setattr__(self, "deductibles", tuple(self.deductibles))


__all__ = [
    "DEDUCTIBLE_KINDS",
    "MEAN_METHODS",
    "OPERATIONS",
    "Deductible",
    "DeductibleKind",
    "MarkPosition",
    "MarkPositions",
    "MarkReadings",
    "MarkSide",
    "MeanMethod",
    "Operation",
    "OperationMismatch",
    "SurveyConditionInput",
    "SurveyInputError",
    "TableReadings",
    "VesselParticulars",
]
