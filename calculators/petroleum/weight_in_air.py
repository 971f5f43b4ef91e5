"""Weight in air: ASTM D1250-1980 Table 56 weight-conversion factor (WCF) and mass ↔ weight in air.

Commercial weight (weight in air) is what a weighbridge shows: the mass less the buoyancy of the air it
displaces, taken by Table 56 as 1.1 kg per m³ of liquid at 15 °C.

References
----------
.. [1] ASTM D1250-80 / IP 200, Table 56 ("Weight in air per cubic metre at 15 °C"), and ASTM D1250-04 /
   API MPMS 11.5 (density/weight/volume intraconversion): WCF [t/m³] = ρ15 [kg/m³]/1000 − 0.0011.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bulkdaq.errors import BulkdaqError
from calculators.petroleum.volume_correction import round_half_away

AIR_BUOYANCY_KGM3 = 1.1
"""Buoyancy allowance of Table 56: 1.1 kg per m³ of liquid [kg/m³]."""

WCF_DECIMALS = 4
"""Table 56 prints WCF to 4 decimals [t/m³]."""


class DensityNotPhysical(BulkdaqError, ValueError):
    """A density that cannot be a liquid's (not finite, or not above the 1.1 kg/m³ air allowance)."""


def _density(density_15c_kgm3: ArrayLike) -> NDArray[np.float64]:
    rho = np.asarray(density_15c_kgm3, dtype=np.float64)
    bad = ~(np.isfinite(rho) & (rho > AIR_BUOYANCY_KGM3))
    if np.any(bad):
        value = rho[np.unravel_index(int(np.argmax(bad)), bad.shape)] if rho.ndim else rho
        raise DensityNotPhysical(
            f"density at 15 °C {float(value):.10g} kg/m³ is not a liquid density "
            f"(expected a finite value above {AIR_BUOYANCY_KGM3} kg/m³)"
        )
    return rho


def _out(x: ArrayLike) -> NDArray[np.float64] | np.float64:
    array = np.asarray(x, dtype=np.float64)
    return array if array.ndim else np.float64(array)


def weight_conversion_factor(density_15c_kgm3: ArrayLike, rounded: bool = True) -> NDArray[np.float64] | np.float64:
    """Table 56 weight-conversion factor: tonnes in air per m³ at 15 °C.

    Parameters
    ----------
    density_15c_kgm3 : array_like
        Density at 15 °C (in vacuum) [kg/m³].
    rounded : bool, default True
        Round to 4 decimals as Table 56 prints it.

    Returns
    -------
    numpy.ndarray or numpy.float64
        WCF [t/m³] = ρ15/1000 − 0.0011.

    Raises
    ------
    DensityNotPhysical
        Density not finite or not above 1.1 kg/m³.

    References
    ----------
    .. [1] ASTM D1250-80, Table 56.
    """
    wcf = (_density(density_15c_kgm3) - AIR_BUOYANCY_KGM3) / 1000.0
    return round_half_away(wcf, WCF_DECIMALS) if rounded else _out(wcf)


def weight_in_air_from_mass(mass: ArrayLike, density_15c_kgm3: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Weight in air from mass in vacuum: W = m · (1 − 1.1/ρ15).

    Parameters
    ----------
    mass : array_like
        Mass in vacuum [any mass unit, e.g. t or kg].
    density_15c_kgm3 : array_like
        Density at 15 °C [kg/m³].

    Returns
    -------
    numpy.ndarray or numpy.float64
        Weight in air [same unit as ``mass``], unrounded.

    Raises
    ------
    DensityNotPhysical

    References
    ----------
    .. [1] ASTM D1250-80, Table 56 (the same relation, per m³).
    """
    rho = _density(density_15c_kgm3)
    return _out(np.asarray(mass, dtype=np.float64) * (1.0 - AIR_BUOYANCY_KGM3 / rho))


def mass_from_weight_in_air(weight_in_air: ArrayLike, density_15c_kgm3: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Mass in vacuum from weight in air: m = W / (1 − 1.1/ρ15) [same unit as ``weight_in_air``].

    Raises
    ------
    DensityNotPhysical

    References
    ----------
    .. [1] ASTM D1250-80, Table 56.
    """
    rho = _density(density_15c_kgm3)
    return _out(np.asarray(weight_in_air, dtype=np.float64) / (1.0 - AIR_BUOYANCY_KGM3 / rho))


def weight_in_air_from_volume(
    standard_volume_m3: ArrayLike, density_15c_kgm3: ArrayLike, rounded_wcf: bool = True
) -> NDArray[np.float64] | np.float64:
    """Weight in air of a volume at 15 °C: W [t] = V15 · WCF (WCF rounded to 4 decimals by default).

    Parameters
    ----------
    standard_volume_m3 : array_like
        Volume at 15 °C [m³].
    density_15c_kgm3 : array_like
        Density at 15 °C [kg/m³].
    rounded_wcf : bool, default True
        Use the 4-decimal WCF, as surveyors do with the printed table.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Weight in air [t], unrounded.

    References
    ----------
    .. [1] ASTM D1250-80, Table 56.
    """
    wcf = weight_conversion_factor(density_15c_kgm3, rounded=rounded_wcf)
    return _out(np.asarray(standard_volume_m3, dtype=np.float64) * wcf)


__all__ = [
    "AIR_BUOYANCY_KGM3",
    "WCF_DECIMALS",
    "DensityNotPhysical",
    "mass_from_weight_in_air",
    "weight_conversion_factor",
    "weight_in_air_from_mass",
    "weight_in_air_from_volume",
]
