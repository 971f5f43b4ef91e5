"""Coriolis mass ticket: true mass from the mass totalizer, volume derived from it, density cross-check.

A Coriolis meter measures mass directly, so no temperature or pressure correction is applied to the
mass; the standard volume is derived as mass / ρ_base. The meter's own line density is checked against
the laboratory base density carried to line conditions, ρ_base · CTL · CPL.

References
----------
.. [1] API MPMS Chapter 5.6 (Coriolis meters), §5.6.10 (mass and derived volume) and Chapter 12.2
   (quantity calculation); OIML R 117-1 (density cross-check in practice).
.. [2] API MPMS 11.1-2004 (CTL, CPL at line conditions); ASTM D1250-80 Table 56 (weight in air).
"""

from __future__ import annotations

import math

from calculators.petroleum.measurement_policy import FigureList, MeasurementPolicy, Ticket, sediment_and_water_factor
from calculators.petroleum.meter_ticket import InvalidMeterInput
from calculators.petroleum.weight_in_air import weight_in_air_from_mass
from calculators.totalizer import indicated_quantity


def coriolis_ticket(
    policy: MeasurementPolicy,
    opening_kg: float,
    closing_kg: float,
    mass_meter_factor: float,
    base_density_kgm3: float,
    line_density_kgm3: float,
    temperature_c: float,
    pressure_kpa: float,
    sediment_water_percent: float,
    density_band_kgm3: float,
    commodity: str = "refined",
    rollover_at_kg: float | None = None,
) -> Ticket:
    """Coriolis ticket: gross mass, derived GSV, net mass and NSV, weight in air, density cross-check.

    Parameters
    ----------
    policy : MeasurementPolicy
        Edition, base and rounding (the base applies to the derived volumes and the base density).
    opening_kg, closing_kg : float
        Mass totalizer at the start and end of the batch [kg].
    mass_meter_factor : float
        Mass meter factor from the last proving [-].
    base_density_kgm3 : float
        Laboratory density at the policy's base [kg/m³].
    line_density_kgm3 : float
        The meter's flow-weighted line density at line conditions [kg/m³].
    temperature_c, pressure_kpa : float
        Flow-weighted line temperature [°C] and gauge pressure [kPa].
    sediment_water_percent : float
        Sediment and water [% by volume, applied to mass likewise], 0 ≤ S&W < 100.
    density_band_kgm3 : float
        Allowed |line density − ρ_base·CTPL| [kg/m³]; beyond it the ticket is flagged.
    commodity : str, default ``"refined"``
    rollover_at_kg : float, optional
        Value at which the mass totalizer wraps to zero [kg].

    Returns
    -------
    Ticket
        Figures: totalizers, indicated mass, MF, gross mass, GSV = gross mass / ρ_base, S&W, CSW, net
        mass, NSV, weight in air, CTL, CPL, CTPL, expected line density, deviation; a flag when the
        deviation is outside the band.

    Raises
    ------
    calculators.totalizer.TotalizerWentBackwards
        Closing below opening with no roll-over to explain it.
    InvalidMeterInput
        A meter factor, density or band that is not positive.
    ValueError
        Line conditions or density outside the edition's range; S&W outside 0 … <100 %.

    References
    ----------
    .. [1] API MPMS Chapter 5.6 §5.6.10; Chapter 12.2.1 §12.2.5.
    """
    for name, value in (
        ("mass_meter_factor", mass_meter_factor),
        ("base_density_kgm3", base_density_kgm3),
        ("line_density_kgm3", line_density_kgm3),
        ("density_band_kgm3", density_band_kgm3),
    ):
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise InvalidMeterInput(name, f"{name} {value!r} must be a positive number")
    rho = float(base_density_kgm3)
    csw_value = sediment_and_water_factor(sediment_water_percent)
    indicated = indicated_quantity(opening_kg, closing_kg, rollover_at_kg)
    factors = policy.correction_factors(rho, temperature_c, pressure_kpa, commodity)

    f = FigureList(policy)
    f.add("opening_kg", "Opening mass totalizer", opening_kg, "kg", "unrounded")
    f.add("closing_kg", "Closing mass totalizer", closing_kg, "kg", "unrounded")
    f.add("indicated_mass_kg", "Indicated mass", indicated, "kg", "unrounded")
    f.add("mass_meter_factor", "Mass meter factor", mass_meter_factor, "-", "unrounded")
    gross = f.add("gross_mass_t", "Gross mass = indicated x MF (no volume correction)", indicated * float(mass_meter_factor) / 1000.0, "t", "mass")
    f.add("base_density_kgm3", f"Density at base ({policy.base})", rho, "kg/m3", "unrounded")
    f.add("gsv_m3", "Gross standard volume GSV = gross mass / density", gross * 1000.0 / rho, "m3", "volume")
    f.add("sediment_water_percent", "Sediment and water S&W", sediment_water_percent, "%", "unrounded")
    csw = f.add("csw", "CSW = 1 - S&W/100", csw_value, "-", "factor")
    net = f.add("net_mass_t", "Net mass = gross mass x CSW", gross * csw, "t", "mass")
    f.add("nsv_m3", "Net standard volume NSV = net mass / density", net * 1000.0 / rho, "m3", "volume")
    rho15 = rho if policy.base == "15C" else float(policy.density_at_15c(rho, commodity))
    if policy.base != "15C":
        f.add("density_15c_kgm3", "Equivalent density at 15 C", rho15, "kg/m3", "unrounded")
    f.add("weight_in_air_t", "Weight in air = net mass x (1 - 1.1/rho15)", weight_in_air_from_mass(net, rho15), "t", "mass")

    f.add("temperature_c", "Line temperature (flow-weighted)", temperature_c, "degC", "unrounded")
    f.add("pressure_kpa", "Line pressure (flow-weighted, gauge)", pressure_kpa, "kPa", "unrounded")
    f.add("ctl", "CTL at line conditions", factors.ctl, "-", "factor")
    f.add("cpl", "CPL at line conditions", factors.cpl, "-", "factor")
    ctpl = f.add("ctpl", "CTPL at line conditions", factors.ctpl, "-", "factor")
    expected = f.add("expected_line_density_kgm3", "Expected line density = density x CTPL", rho * ctpl, "kg/m3", "unrounded")
    f.add("line_density_kgm3", "Meter line density", line_density_kgm3, "kg/m3", "unrounded")
    deviation = f.add("density_deviation_kgm3", "Line density - expected", float(line_density_kgm3) - expected, "kg/m3", "unrounded")
    f.add("density_band_kgm3", "Allowed deviation (+/-)", density_band_kgm3, "kg/m3", "unrounded")
    flags: tuple[str, ...] = ()
    if abs(deviation) > float(density_band_kgm3):
        flags = (
            f"density cross-check failed: meter line density {float(line_density_kgm3):.10g} kg/m³ differs from "
            f"{rho:.10g} x CTPL {ctpl:.10g} = {expected:.4f} kg/m³ by {deviation:+.4f} kg/m³, outside "
            f"±{float(density_band_kgm3):.10g} kg/m³",
        )
    return Ticket("coriolis", policy, commodity, factors.group_label(), tuple(f.figures), flags)


__all__ = [
    "coriolis_ticket",
]
