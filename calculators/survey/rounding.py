"""Rounding of a draft survey: halves away from zero as on paper, and the named policies that say
which figure is rounded to how many decimals (none, UN/ECE 3 dp, the surveyor's workbook).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


def round_half_away_from_zero(value: float, decimals: int) -> float:
    """Round to `decimals` places, halves away from zero, the way a surveyor rounds on paper.

    Binary floating point stores 13.97965 as 13.9796499999…; the scaled value is first rounded to six
    further places so such a written half still rounds up, as it does in decimal arithmetic.

    Parameters
    ----------
    value : float
    decimals : int
        Number of decimal places kept (0 or more).

    Returns
    -------
    float
        The rounded value (never −0.0).
    """
    scale = 10.0**decimals
    units = math.floor(round(abs(value) * scale, 6) + 0.5)
    if units == 0:
        return 0.0
    return units / scale if value > 0 else -units / scale


# The figures a rounding policy may round; each survey step names the figure it produces.
ROUNDABLE_FIGURES: tuple[str, ...] = (
    "mean_drafts",
    "length_between_marks",
    "perpendicular_corrections",
    "corrected_drafts",
    "true_trim",
    "quarter_mean",
    "displacement",
    "tpc",
    "lcf",
    "mtc",
    "mtc_difference",
    "first_trim_correction",
    "second_trim_correction",
    "list_correction",
    "displacement_trim_list_corrected",
    "density_correction",
    "displacement_density_corrected",
    "deductible_weight_from_volume",
    "total_deductibles",
    "net_displacement",
)


@dataclass(frozen=True)
class RoundingPolicy:
    """A named rule saying which figures are rounded, to how many decimals; later steps use the
    rounded value.

    Attributes
    ----------
    name : str
        Recorded on every result.
    decimals : Mapping[str, int]
        Figure name (one of ``ROUNDABLE_FIGURES``) → decimals kept. Figures not listed keep full
        precision.
    description : str
    """

    name: str
    decimals: Mapping[str, int]
    description: str
    shown: Mapping[str, int] = field(default_factory=lambda: dict(SHOWN_DECIMALS))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.decimals) - set(ROUNDABLE_FIGURES))
        if unknown:
            raise ValueError(f"rounding policy {self.name!r} names unknown figures: {', '.join(unknown)}")
        object.__setattr__(self, "decimals", MappingProxyType(dict(self.decimals)))
        object.__setattr__(self, "shown", MappingProxyType({**SHOWN_DECIMALS, **self.shown}))

    def apply(self, figure: str, value: float) -> float:
        """`value` rounded as this policy rounds `figure` (unchanged when the policy leaves it)."""
        decimals = self.decimals.get(figure)
        return value if decimals is None else round_half_away_from_zero(value, decimals)

    def shown_decimals(self, unit: str) -> int:
        """Decimals a computed figure in `unit` is shown with on the form ('m', 't', 't/cm', 't·m/cm', 't/m³')."""
        return self.shown.get(unit, SHOWN_DECIMALS["t"])


# Decimals each kind of figure is shown with on the form, by unit: drafts and distances to 0.1 mm (the
# workbook carries corrections to 4 dp), weights to the kilogram (the form's 3 dp), TPC and MTC to 3 dp,
# densities to 0.0001 t/m³. A policy that rounds to 3 dp shows its drafts to 3 dp.
SHOWN_DECIMALS: Mapping[str, int] = MappingProxyType({"m": 4, "t": 3, "t/cm": 3, "t·m/cm": 3, "t/m³": 4, "mm": 0, "m³": 3})
# Inputs as read (never rounded in the calculation), shown at the resolution they are read to: draft marks
# and mark distances to 1 mm, weights to 1 kg, densities to 0.0001 t/m³, volumes to 1 L, TPC to 0.001 t/cm.
INPUT_DECIMALS: Mapping[str, int] = MappingProxyType({"m": 3, "t": 3, "t/cm": 3, "t·m/cm": 3, "t/m³": 4, "mm": 0, "m³": 3})

NO_ROUNDING = RoundingPolicy("none", {}, "full precision at every step")
UNECE_3DP = RoundingPolicy(
    "unece-3dp",
    {
        figure: 3
        for figure in ROUNDABLE_FIGURES
        if figure != "mtc"  # the form carries the MTC difference, not the two MTC values
    },
    "every figure the UN/ECE form reports rounded half away from zero to 3 decimals; later steps use "
    "the rounded value",
    {"m": 3},
)
WORKBOOK = RoundingPolicy(
    "workbook",
    {
        "perpendicular_corrections": 4,
        "quarter_mean": 4,
        "true_trim": 4,
        "displacement": 2,
        "tpc": 2,
        "lcf": 4,
        "mtc": 3,
        "first_trim_correction": 1,
        "second_trim_correction": 1,
        "displacement_density_corrected": 1,
    },
    "surveyor workbook: perpendicular corrections, quarter mean, true trim and LCF 4 dp; displacement and "
    "TPC 2 dp; MTC 3 dp; trim corrections and density-corrected displacement 0.1 t; half away from zero",
)
ROUNDING_POLICIES: Mapping[str, RoundingPolicy] = MappingProxyType(
    {policy.name: policy for policy in (NO_ROUNDING, UNECE_3DP, WORKBOOK)}
)


def rounding_policy(name: str) -> RoundingPolicy:
    """The predefined rounding policy called `name` ('none', 'unece-3dp' or 'workbook')."""
    try:
        return ROUNDING_POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown rounding policy {name!r}; expected one of {', '.join(ROUNDING_POLICIES)}") from None


__all__ = [
    "INPUT_DECIMALS",
    "NO_ROUNDING",
    "ROUNDABLE_FIGURES",
    "ROUNDING_POLICIES",
    "SHOWN_DECIMALS",
    "UNECE_3DP",
    "WORKBOOK",
    "RoundingPolicy",
    "round_half_away_from_zero",
    "rounding_policy",
]
