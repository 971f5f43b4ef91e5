"""Volume correction factors of the ASTM D1250-1980 metric tables at 15 °C: 54A, 54B and 54D.

Many sale contracts and bunker worksheets still name these tables. They give CTL only (no pressure
term), to 4 decimals, from the density at 15 °C and the observed temperature.

References
----------
.. [1] ASTM D1250-80 / API MPMS Chapter 11.1-1980 / IP 200, Volume X (implementation procedures),
   Table 54A (generalized crude oils), Table 54B (generalized products, including the transition zone
   770.5–787.5 kg/m³) and Table 54D (lubricating oils), all at 15 °C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.petroleum.volume_correction import round_half_away
from calculators.quantity_error import QuantityError

BASE_TEMPERATURE_C = 15.0
VCF_DECIMALS = 4
"""The 1980 tables print VCF to 4 decimals."""

Table = Literal["54A", "54B", "54D"]


@dataclass(frozen=True)
class Table1980Group:
    """One density band of a 1980 table: α15 = K0/ρ15² + K1/ρ15 + K2 [1/°C].

    ``density_min_kgm3`` is inclusive; ``density_max_kgm3`` is exclusive except for the last band of
    a table, where it is the table's upper limit (inclusive).
    """

    name: str
    table: str
    density_min_kgm3: float
    density_max_kgm3: float
    k0: float
    k1: float
    k2: float = 0.0


CRUDE_54A = Table1980Group("crude_oil", "54A", 610.5, 1075.0, 613.9723, 0.0)
GASOLINES_54B = Table1980Group("gasolines", "54B", 653.0, 770.5, 346.4228, 0.4388)
# Transition zone: α15 = −0.00336312 + 2680.3206/ρ15². Its band is 770.5–787.5 kg/m³ (where its α meets
# the jet-fuel α, at 787.53 kg/m³); 778 kg/m³, seen in some implementations, is wrong.
TRANSITION_54B = Table1980Group("transition_zone", "54B", 770.5, 787.5, 2680.3206, 0.0, -0.00336312)
JET_FUELS_54B = Table1980Group("jet_fuels", "54B", 787.5, 839.0, 594.5418, 0.0)
FUEL_OILS_54B = Table1980Group("fuel_oils", "54B", 839.0, 1075.0, 186.9696, 0.4862)
LUBRICATING_54D = Table1980Group("lubricating_oils", "54D", 800.0, 1164.0, 0.0, 0.6278)

TABLES: dict[str, tuple[Table1980Group, ...]] = {
    "54A": (CRUDE_54A,),
    "54B": (GASOLINES_54B, TRANSITION_54B, JET_FUELS_54B, FUEL_OILS_54B),
    "54D": (LUBRICATING_54D,),
}

TEMPERATURE_LIMITS_C: dict[str, tuple[float, float]] = {
    "54A": (-18.0, 150.0),
    "54B": (-18.0, 150.0),
    "54D": (-20.0, 150.0),
}
"""Temperature range of each table as printed [°C]; nothing outside is computed."""

TABLE_FOR_COMMODITY: dict[str, Table] = {"crude": "54A", "crude_oil": "54A", "refined": "54B", "refined_products": "54B",
                       "lube": "54D", "lubricating_oils": "54D"}
"""Which table serves each commodity family of the 2004 edition's vocabulary."""


class OutsideTableRange(QuantityError):
    """An input lies outside the range printed in the 1980 table; the table is never extrapolated.

    Attributes
    ----------
    quantity : str
        ``"density"`` or ``"temperature"``.
    """


@dataclass(frozen=True)
class Vcf1980:
    """A 1980-table volume correction.

    Attributes
    ----------
    table : str
        ``"54A"``, ``"54B"`` or ``"54D"``.
    group : str or ndarray of str
        Density band used (crude_oil, gasolines, transition_zone, jet_fuels, fuel_oils, lubricating_oils).
    alpha15_per_c : float or ndarray
        Thermal expansion coefficient at 15 °C [1/°C].
    vcf : float or ndarray
        Volume correction factor to 15 °C, rounded to 4 decimals unless unrounded.
    """

    table: str
    group: NDArray[np.str_] | str
    alpha15_per_c: NDArray[np.float64] | np.float64
    vcf: NDArray[np.float64] | np.float64
    rounded: bool


def _table(table: str) -> tuple[Table1980Group, ...]:
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"unknown 1980 table {table!r}; expected one of {', '.join(TABLES)}") from None


def _first(mask: NDArray[np.bool_], values: NDArray[np.float64]) -> str:
    if not mask.ndim:
        return f"{float(values):.10g}"
    i = np.unravel_index(int(np.argmax(mask)), mask.shape)
    more = int(mask.sum()) - 1
    return f"[{', '.join(map(str, i))}] = {float(values[i]):.10g}" + (f" (and {more} more)" if more else "")


def vcf_table_54(
    density_15c_kgm3: ArrayLike, temperature_c: ArrayLike, table: Table = "54B", rounded: bool = True
) -> Vcf1980:
    """Volume correction factor to 15 °C from ASTM D1250-1980 Table 54A, 54B or 54D.

    α15 = K0/ρ15² + K1/ρ15 (transition zone: −0.00336312 + 2680.3206/ρ15²);
    VCF = exp(−α15·Δt·(1 + 0.8·α15·Δt)), Δt = t − 15 °C.

    Parameters
    ----------
    density_15c_kgm3 : array_like
        Density at 15 °C [kg/m³]. Ranges: 54A 610.5–1075, 54B 653–1075, 54D 800–1164.
    temperature_c : array_like
        Observed temperature [°C]; 54A and 54B −18…150, 54D −20…150.
    table : {"54A", "54B", "54D"}, default ``"54B"``
        54A generalized crude oils, 54B generalized products (band chosen by density: gasolines
        < 770.5 ≤ transition zone ≤ 787.5 < jet fuels < 839 ≤ fuel oils), 54D lubricating oils.
    rounded : bool, default True
        Round the VCF to 4 decimals as the table prints it.

    Returns
    -------
    Vcf1980

    Raises
    ------
    OutsideTableRange
        Density or temperature outside the table.
    ValueError
        Unknown table.

    References
    ----------
    .. [1] ASTM D1250-80, Volume X, Tables 54A, 54B and 54D.
    """
    groups = _table(table)
    rho = np.asarray(density_15c_kgm3, dtype=np.float64)
    t = np.asarray(temperature_c, dtype=np.float64)
    rho, t = np.broadcast_arrays(rho, t)
    low, high = groups[0].density_min_kgm3, groups[-1].density_max_kgm3
    bad = ~((rho >= low) & (rho <= high))
    if np.any(bad):
        raise OutsideTableRange(
            "density",
            f"density at 15 °C {_first(bad, rho)} kg/m³ is outside ASTM D1250-1980 Table {table} "
            f"range {low:.10g} … {high:.10g} kg/m³",
        )
    t_low, t_high = TEMPERATURE_LIMITS_C[table]
    bad = ~((t >= t_low) & (t <= t_high))
    if np.any(bad):
        raise OutsideTableRange(
            "temperature",
            f"temperature {_first(bad, t)} °C is outside ASTM D1250-1980 Table {table} range "
            f"{t_low:.10g} … {t_high:.10g} °C",
        )
    # The transition zone includes its upper limit 787.5; every other band's upper limit belongs to the
    # next band.
    boundaries = np.array([g.density_min_kgm3 for g in groups[1:]])
    codes = np.searchsorted(boundaries, rho, side="right")
    if table == "54B":
        codes = np.where(rho == TRANSITION_54B.density_max_kgm3, 1, codes)
    k0 = np.array([g.k0 for g in groups])[codes]
    k1 = np.array([g.k1 for g in groups])[codes]
    k2 = np.array([g.k2 for g in groups])[codes]
    alpha = k0 / (rho * rho) + k1 / rho + k2
    dt = t - BASE_TEMPERATURE_C
    vcf = np.exp(-alpha * dt * (1.0 + 0.8 * alpha * dt))
    if rounded:
        vcf = round_half_away(vcf, VCF_DECIMALS)
    names = np.array([g.name for g in groups])[codes]
    return Vcf1980(
        table=table,
        group=names if names.ndim else str(names),
        alpha15_per_c=alpha if alpha.ndim else np.float64(alpha),
        vcf=np.asarray(vcf) if np.ndim(vcf) else np.float64(vcf),
        rounded=rounded,
    )


def table_for_commodity(commodity: str) -> Table:
    """The 1980 table for a commodity family: crude → 54A, refined → 54B, lube → 54D.

    Raises
    ------
    ValueError
        The commodity has no 1980 table (e.g. a single refined group name).
    """
    try:
        return TABLE_FOR_COMMODITY[commodity]
    except KeyError:
        raise ValueError(
            f"commodity {commodity!r} has no ASTM D1250-1980 table; expected one of "
            f"{', '.join(sorted(TABLE_FOR_COMMODITY))}"
        ) from None


__all__ = [
    "BASE_TEMPERATURE_C",
    "CRUDE_54A",
    "FUEL_OILS_54B",
    "GASOLINES_54B",
    "JET_FUELS_54B",
    "LUBRICATING_54D",
    "TABLES",
    "TABLE_FOR_COMMODITY",
    "TEMPERATURE_LIMITS_C",
    "TRANSITION_54B",
    "VCF_DECIMALS",
    "OutsideTableRange",
    "Table",
    "Table1980Group",
    "Vcf1980",
    "table_for_commodity",
    "vcf_table_54",
]
