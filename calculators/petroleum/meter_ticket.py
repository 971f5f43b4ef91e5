"""Meter ticket for a batch through a volumetric meter (API MPMS Chapter 12.2).

IV = closing − opening totalizer; CCF = CTL · CPL · MF; GSV = IV · CCF; NSV = GSV · CSW;
mass (in vacuum) = NSV · ρ_base; weight in air = NSV · WCF (Table 56) at 15 °C, or mass · (1 − 1.1/ρ15).

References
----------
.. [1] API MPMS Chapter 12.2.1 (calculation of petroleum quantities using dynamic measurement methods),
   §12.2.5 (IV, CTL, CPL, MF, CCF, GSV, CSW, NSV) and Chapter 12.2.2 (measurement tickets).
.. [2] API MPMS Chapter 11.1-2004 / ASTM D1250-80 Tables 54 (CTL, CPL) and Table 56 (WCF).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from calculators.petroleum.measurement_policy import FigureList, MeasurementPolicy, Ticket, sediment_and_water_factor
from calculators.petroleum.weight_in_air import weight_conversion_factor, weight_in_air_from_mass
from calculators.quantity_error import QuantityError
from calculators.totalizer import indicated_quantity


class InvalidMeterInput(QuantityError):
    """A meter-ticket input that is not a measurement (e.g. a meter factor that is not positive).

    Attributes
    ----------
    quantity : str
        The argument at fault.
    """


def flow_weighted_average(values: ArrayLike, quantities: ArrayLike) -> float:
    """Flow-weighted average of a temperature or pressure sampled over a batch.

    Parameters
    ----------
    values : array_like
        Temperature [°C] or pressure [kPa] of each sampling interval.
    quantities : array_like
        Quantity that passed the meter in each interval [m³ or kg], ≥ 0, not all zero.

    Returns
    -------
    float
        Σ(value · quantity) / Σ quantity [unit of ``values``].

    Raises
    ------
    ValueError
        Empty or unequal inputs, a negative quantity, or no flow at all.

    References
    ----------
    .. [1] API MPMS Chapter 12.2.1, §12.2.5.2 and API MPMS Chapter 21.2 (flow-weighted averages).
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    q = np.asarray(quantities, dtype=np.float64).ravel()
    if v.size == 0 or v.size != q.size:
        raise ValueError(f"flow-weighted average needs as many quantities as values (got {v.size} and {q.size})")
    if np.any(~np.isfinite(v)) or np.any(~np.isfinite(q)):
        raise ValueError("flow-weighted average: values and quantities must be finite numbers")
    if np.any(q < 0):
        raise ValueError(f"flow-weighted average: quantity {float(q[np.argmax(q < 0)]):.10g} is negative")
    total = q.sum()
    if total <= 0:
        raise ValueError("flow-weighted average: no quantity flowed in any interval")
    return float(np.dot(v, q) / total)


def _positive(name: str, value: float) -> float:
    x = float(value)
    if not (math.isfinite(x) and x > 0):
        raise InvalidMeterInput(name, f"{name} {value!r} must be a positive number")
    return x


def meter_ticket(
    policy: MeasurementPolicy,
    opening_m3: float,
    closing_m3: float,
    meter_factor: float,
    temperature_c: float,
    pressure_kpa: float,
    base_density_kgm3: float,
    sediment_water_percent: float,
    commodity: str = "refined",
    rollover_at_m3: float | None = None,
) -> Ticket:
    """Meter ticket: IV → GSV → NSV → mass and weight in air, each figure rounded per the policy.

    Parameters
    ----------
    policy : MeasurementPolicy
        Edition, base and rounding.
    opening_m3, closing_m3 : float
        Non-resettable volume totalizer at the start and end of the batch [m³].
    meter_factor : float
        Meter factor from the last proving [-], as stated (not rounded here).
    temperature_c : float
        Flow-weighted average temperature at the meter [°C] (see :func:`flow_weighted_average`).
    pressure_kpa : float
        Flow-weighted average gauge pressure at the meter [kPa].
    base_density_kgm3 : float
        Density at the policy's base [kg/m³].
    sediment_water_percent : float
        Sediment and water [% volume], 0 ≤ S&W < 100.
    commodity : str, default ``"refined"``
        ``refined`` (group by density), ``crude`` or ``lube``.
    rollover_at_m3 : float, optional
        Value at which the totalizer register wraps to zero [m³].

    Returns
    -------
    Ticket
        Figures: opening, closing, IV, MF, temperature, pressure, base density, CTL, CPL, CCF, GSV,
        S&W, CSW, NSV, (ρ15 when the base is not 15 °C), WCF or none, mass, weight in air.

    Raises
    ------
    calculators.totalizer.TotalizerWentBackwards
        Closing below opening with no roll-over to explain it (a reset).
    InvalidMeterInput
        Meter factor or base density not positive.
    ValueError
        Inputs outside the edition's range (see :meth:`MeasurementPolicy.correction_factors`), S&W
        outside 0 … <100 %.

    References
    ----------
    .. [1] API MPMS Chapter 12.2.1 §12.2.5; Chapter 12.2.2.
    """
    mf = _positive("meter_factor", meter_factor)
    rho = _positive("base_density_kgm3", base_density_kgm3)
    csw = sediment_and_water_factor(sediment_water_percent)
    iv = indicated_quantity(opening_m3, closing_m3, rollover_at_m3)
    factors = policy.correction_factors(rho, temperature_c, pressure_kpa, commodity)

    f = FigureList(policy)
    f.add("opening_m3", "Opening totalizer", opening_m3, "m3", "unrounded")
    f.add("closing_m3", "Closing totalizer", closing_m3, "m3", "unrounded")
    iv = f.add("iv_m3", "Indicated volume IV", iv, "m3", "volume")
    f.add("meter_factor", "Meter factor MF", mf, "-", "unrounded")
    f.add("temperature_c", "Temperature (flow-weighted)", temperature_c, "degC", "unrounded")
    f.add("pressure_kpa", "Pressure (flow-weighted, gauge)", pressure_kpa, "kPa", "unrounded")
    f.add("base_density_kgm3", f"Density at base ({policy.base})", rho, "kg/m3", "unrounded")
    ctl = f.add("ctl", "CTL", factors.ctl, "-", "factor")
    cpl = f.add("cpl", "CPL", factors.cpl, "-", "factor")
    ccf = f.add("ccf", "CCF = CTL x CPL x MF", ctl * cpl * mf, "-", "factor")
    gsv = f.add("gsv_m3", "Gross standard volume GSV = IV x CCF", iv * ccf, "m3", "volume")
    f.add("sediment_water_percent", "Sediment and water S&W", sediment_water_percent, "%", "unrounded")
    csw = f.add("csw", "CSW = 1 - S&W/100", csw, "-", "factor")
    nsv = f.add("nsv_m3", "Net standard volume NSV = GSV x CSW", gsv * csw, "m3", "volume")
    mass_and_weight_in_air(f, policy, nsv, rho, commodity)
    return Ticket("meter", policy, commodity, factors.group_label(), tuple(f.figures))


def mass_and_weight_in_air(
    figures: FigureList, policy: MeasurementPolicy, net_volume_m3: float, base_density_kgm3: float, commodity: str
) -> None:
    """Add mass in vacuum (NSV · ρ_base) and weight in air to a ticket's figures.

    At a 15 °C base the weight in air is NSV · WCF (Table 56, 4 decimals); at other bases it is
    mass · (1 − 1.1/ρ15) with ρ15 the equivalent density at 15 °C (§11.1.7), since Table 56 is a
    15 °C table.

    References
    ----------
    .. [1] ASTM D1250-80 Table 56; API MPMS 11.1-2004 §11.1.7.
    """
    mass = figures.add("mass_t", "Mass in vacuum = NSV x density", net_volume_m3 * base_density_kgm3 / 1000.0, "t", "mass")
    if policy.base == "15C":
        wcf = figures.add("wcf", "WCF (Table 56) = rho15 - 0.0011", weight_conversion_factor(base_density_kgm3, rounded=False), "t/m3", "wcf")
        figures.add("weight_in_air_t", "Weight in air = NSV x WCF", net_volume_m3 * wcf, "t", "mass")
    else:
        rho15 = float(policy.density_at_15c(base_density_kgm3, commodity))
        figures.add("density_15c_kgm3", "Equivalent density at 15 C", rho15, "kg/m3", "unrounded")
        figures.add("weight_in_air_t", "Weight in air = mass x (1 - 1.1/rho15)", weight_in_air_from_mass(mass, rho15), "t", "mass")


__all__ = [
    "InvalidMeterInput",
    "flow_weighted_average",
    "mass_and_weight_in_air",
    "meter_ticket",
]
