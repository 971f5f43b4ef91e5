"""Shore tank ticket (API MPMS Chapter 12.1.1): TOV → GOV → GSV → NSV, TCV, mass and weight in air.

GOV = (TOV − FW) · CTSh + FRA; GSV = GOV · CTL (a tank is at atmospheric pressure, CPL = 1);
NSV = GSV · CSW; TCV = GSV + FW.

References
----------
.. [1] API MPMS Chapter 12.1.1 (calculation of static petroleum quantities, upright cylindrical tanks),
   §12.1.1.9 (CTSh, shell temperature), §12.1.1.10 (floating-roof adjustment), §12.1.1.11 (GOV, GSV,
   NSV, TCV).
.. [2] API MPMS 11.1-2004 / ASTM D1250-80 Tables 54 (CTL); ASTM D1250-80 Table 56 (weight in air).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from calculators.petroleum.measurement_policy import FigureList, MeasurementPolicy, Ticket, sediment_and_water_factor
from calculators.petroleum.meter_ticket import mass_and_weight_in_air
from calculators.quantity_error import QuantityError

MILD_STEEL_EXPANSION_PER_C = 1.12e-5
"""Linear thermal expansion coefficient of mild carbon steel [1/°C] (API MPMS 12.1.1, Table 1)."""


class InvalidTankInput(QuantityError):
    """A tank-ticket input that is not a measurement.

    Attributes
    ----------
    quantity : str
        The argument at fault.
    """


@dataclass(frozen=True)
class ShellCorrection:
    """How to correct the tank shell for temperature.

    Attributes
    ----------
    insulated : bool
        Insulated tank: the shell is at the liquid temperature; otherwise Ts = (7·T_L + T_A)/8.
    table_base_temperature_c : float
        Shell temperature at which the strapping table was computed [°C].
    expansion_coefficient_per_c : float
        Linear expansion coefficient of the shell [1/°C] (mild steel 1.12e-5).
    ambient_temperature_c : float or None
        Ambient air temperature [°C]; required for an uninsulated tank.
    """

    insulated: bool
    table_base_temperature_c: float
    expansion_coefficient_per_c: float
    ambient_temperature_c: float | None = None


@dataclass(frozen=True)
class FloatingRoof:
    """A floating roof: its mass, and whether the strapping table already deducts it.

    Attributes
    ----------
    mass_kg : float
        Roof mass [kg].
    table_includes_roof : bool
        True when the capacity table is already roof-corrected (then FRA = 0).
    """

    mass_kg: float
    table_includes_roof: bool


def shell_temperature(liquid_temperature_c: float, ambient_temperature_c: float | None, insulated: bool) -> float:
    """Tank shell temperature: T_L when insulated, (7·T_L + T_A)/8 otherwise [°C].

    Raises
    ------
    InvalidTankInput
        Uninsulated tank without an ambient temperature.

    References
    ----------
    .. [1] API MPMS Chapter 12.1.1, §12.1.1.9.
    """
    if insulated:
        return float(liquid_temperature_c)
    if ambient_temperature_c is None:
        raise InvalidTankInput(
            "ambient_temperature_c", "an uninsulated tank needs the ambient temperature for its shell temperature"
        )
    return (7.0 * float(liquid_temperature_c) + float(ambient_temperature_c)) / 8.0


def shell_correction_factor(shell_temperature_c: float, table_base_temperature_c: float, expansion_per_c: float) -> float:
    """CTSh = 1 + 2·α·ΔT + α²·ΔT², ΔT = Ts − table base temperature (unrounded) [-].

    References
    ----------
    .. [1] API MPMS Chapter 12.1.1, §12.1.1.9.
    """
    dt = float(shell_temperature_c) - float(table_base_temperature_c)
    a = float(expansion_per_c)
    return 1.0 + 2.0 * a * dt + a * a * dt * dt


def floating_roof_adjustment(roof_mass_kg: float, observed_density_kgm3: float) -> float:
    """FRA = −roof mass / density at tank temperature [m³] (API MPMS 12.1.1, §12.1.1.10)."""
    return -float(roof_mass_kg) / float(observed_density_kgm3)


def _non_negative(name: str, value: float) -> float:
    x = float(value)
    if not (math.isfinite(x) and x >= 0):
        raise InvalidTankInput(name, f"{name} {value!r} must be a number ≥ 0")
    return x


def tank_ticket(
    policy: MeasurementPolicy,
    tov_m3: float,
    free_water_m3: float,
    liquid_temperature_c: float,
    base_density_kgm3: float,
    sediment_water_percent: float,
    shell: ShellCorrection | None,
    floating_roof: FloatingRoof | None,
    commodity: str = "refined",
    innage_level_m: float | None = None,
    free_water_level_m: float | None = None,
) -> Ticket:
    """Shore tank ticket, each figure rounded per the policy.

    Parameters
    ----------
    policy : MeasurementPolicy
    tov_m3 : float
        Total observed volume from the strapping table [m³] (see
        :meth:`calculators.petroleum.strapping_table.StrappingTable.volume_at`).
    free_water_m3 : float
        Free water volume [m³], ≤ TOV.
    liquid_temperature_c : float
        Average liquid temperature [°C].
    base_density_kgm3 : float
        Density at the policy's base [kg/m³].
    sediment_water_percent : float
        Suspended sediment and water [% volume], 0 ≤ S&W < 100.
    shell : ShellCorrection or None
        None when the volumes are already shell-corrected (CTSh = 1, recorded as such).
    floating_roof : FloatingRoof or None
        None for a fixed-roof tank (FRA = 0).
    commodity : str, default ``"refined"``
    innage_level_m, free_water_level_m : float, optional
        Gauged levels, recorded on the ticket when the volumes came from them [m].

    Returns
    -------
    Ticket
        Figures: level, TOV, FW, temperatures, shell temperature, CTSh, FRA, GOV, base density, CTL,
        GSV, S&W, CSW, NSV, TCV, mass, WCF, weight in air.

    Raises
    ------
    InvalidTankInput
        Negative volumes, free water above TOV, non-positive density or roof mass.
    ValueError
        Temperature or density outside the edition's range; S&W outside 0 … <100 %.

    References
    ----------
    .. [1] API MPMS Chapter 12.1.1, §12.1.1.9–§12.1.1.11.
    """
    tov = _non_negative("tov_m3", tov_m3)
    fw = _non_negative("free_water_m3", free_water_m3)
    if fw > tov:
        raise InvalidTankInput("free_water_m3", f"free water {fw:.10g} m³ is more than the total observed volume {tov:.10g} m³")
    rho = float(base_density_kgm3)
    if not (math.isfinite(rho) and rho > 0):
        raise InvalidTankInput("base_density_kgm3", f"base density {base_density_kgm3!r} must be a positive number")
    csw_value = sediment_and_water_factor(sediment_water_percent)
    factors = policy.correction_factors(rho, liquid_temperature_c, 0.0, commodity)

    f = FigureList(policy)
    if innage_level_m is not None:
        f.add("innage_level_m", "Innage level", innage_level_m, "m", "unrounded")
    tov = f.add("tov_m3", "Total observed volume TOV", tov, "m3", "volume")
    if free_water_level_m is not None:
        f.add("free_water_level_m", "Free water level", free_water_level_m, "m", "unrounded")
    fw = f.add("free_water_m3", "Free water FW", fw, "m3", "volume")
    f.add("liquid_temperature_c", "Liquid temperature T_L", liquid_temperature_c, "degC", "unrounded")
    if shell is None:
        ctsh = f.add("ctsh", "CTSh (volumes already shell-corrected)", 1.0, "-", "shell_factor")
    else:
        if shell.ambient_temperature_c is not None:
            f.add("ambient_temperature_c", "Ambient temperature T_A", shell.ambient_temperature_c, "degC", "unrounded")
        ts = shell_temperature(liquid_temperature_c, shell.ambient_temperature_c, shell.insulated)
        how = "insulated: Ts = T_L" if shell.insulated else "Ts = (7 T_L + T_A)/8"
        f.add("shell_temperature_c", f"Shell temperature ({how})", ts, "degC", "unrounded")
        f.add("table_base_temperature_c", "Strapping table base temperature", shell.table_base_temperature_c, "degC", "unrounded")
        f.add("shell_expansion_per_c", "Shell expansion coefficient", shell.expansion_coefficient_per_c, "1/degC", "unrounded")
        ctsh = f.add(
            "ctsh", "CTSh = 1 + 2a dT + a^2 dT^2",
            shell_correction_factor(ts, shell.table_base_temperature_c, shell.expansion_coefficient_per_c),
            "-", "shell_factor",
        )
    f.add("base_density_kgm3", f"Density at base ({policy.base})", rho, "kg/m3", "unrounded")
    ctl = f.add("ctl", "CTL (CPL = 1 at atmospheric pressure)", factors.ctl, "-", "factor")
    if floating_roof is None or floating_roof.table_includes_roof:
        why = "fixed roof" if floating_roof is None else "table includes the roof"
        fra = f.add("fra_m3", f"Floating-roof adjustment FRA ({why})", 0.0, "m3", "volume")
    else:
        roof_mass = float(floating_roof.mass_kg)
        if not (math.isfinite(roof_mass) and roof_mass > 0):
            raise InvalidTankInput("roof_mass_kg", f"roof mass {floating_roof.mass_kg!r} must be a positive number")
        observed = f.add("observed_density_kgm3", "Density at tank temperature = density x CTL", rho * ctl, "kg/m3", "unrounded")
        fra = f.add("fra_m3", "Floating-roof adjustment FRA = -roof mass / density", floating_roof_adjustment(roof_mass, observed), "m3", "volume")
    gov = f.add("gov_m3", "Gross observed volume GOV = (TOV - FW) x CTSh + FRA", (tov - fw) * ctsh + fra, "m3", "volume")
    gsv = f.add("gsv_m3", "Gross standard volume GSV = GOV x CTL", gov * ctl, "m3", "volume")
    f.add("sediment_water_percent", "Sediment and water S&W", sediment_water_percent, "%", "unrounded")
    csw = f.add("csw", "CSW = 1 - S&W/100", csw_value, "-", "factor")
    nsv = f.add("nsv_m3", "Net standard volume NSV = GSV x CSW", gsv * csw, "m3", "volume")
    f.add("tcv_m3", "Total calculated volume TCV = GSV + FW", gsv + fw, "m3", "volume")
    mass_and_weight_in_air(f, policy, nsv, rho, commodity)
    return Ticket("tank", policy, commodity, factors.group_label(), tuple(f.figures))


__all__ = [
    "MILD_STEEL_EXPANSION_PER_C",
    "FloatingRoof",
    "InvalidTankInput",
    "ShellCorrection",
    "floating_roof_adjustment",
    "shell_correction_factor",
    "shell_temperature",
    "tank_ticket",
]
