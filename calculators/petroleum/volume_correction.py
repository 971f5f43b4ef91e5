"""Volume correction factors of API MPMS Chapter 11.1-2004 (ASTM D1250-04, ISO 91:2017).

Temperature (CTL) and pressure (CPL) correction of generalized crude oils, refined products and
lubricating oils, to the 60 °F base (§11.1.6.1) and, through the 60 °F procedure, to the 15 °C and
20 °C bases (§11.1.7); the inverse, observed density to base density (§11.1.6.2); unit conversions of
the inputs the standard accepts. Every function takes scalars or numpy arrays and never loops in Python
over the points.

References
----------
.. [1] API MPMS Chapter 11.1-2004 / ASTM D1250-04 / IP 200/04, "Temperature and Pressure Volume
   Correction Factors for Generalized Crude Oils, Refined Products, and Lubricating Oils", §11.1.5
   (limits and rounding), §11.1.6.1 (60 °F base), §11.1.6.2 (observed to base density), §11.1.7
   (15 °C and 20 °C bases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bulkdaq.errors import BulkdaqError
from calculators.quantity_error import QuantityError

# ---------------------------------------------------------------------------------------------------
# Constants of the standard
# ---------------------------------------------------------------------------------------------------

WATER_DENSITY_60F_KGM3 = 999.016
"""Density of water at 60 °F used to convert °API and relative density to kg/m³ [kg/m³] (§11.1.5.1)."""

DELTA_60 = 0.01374979547
"""Shift between the ITS-90 and IPTS-68 60 °F base used in the density shift and CTL (§11.1.6.1)."""

BASE_60F_IPTS68 = 60.0068749
"""60 °F (ITS-90) expressed on the IPTS-68 scale [°F] (§11.1.6.1 step 5)."""

PSI_PER_KPA = 1.0 / 6.894757
"""Pressure conversion used by the standard: 1 psi = 6.894757 kPa."""

_ITS90_TO_IPTS68 = (-0.148759, -0.267408, 1.080760, 1.269056, -4.089591, -1.871251, 7.438081, -3.536296)

TEMPERATURE_LIMITS_F = (-58.0, 302.0)
"""Temperature range of the standard [°F] (−50 … 150 °C)."""

PRESSURE_LIMITS_PSIG = (0.0, 1500.0)
"""Gauge pressure range of the standard [psig]; negative gauge pressure is taken as 0."""

TEMPERATURE_LIMITS_C = (-50.0, 150.0)
"""The temperature range in °C, for messages in the caller's unit [°C]."""

PRESSURE_LIMITS_KPA = (0.0, 1500.0 / PSI_PER_KPA)
"""The pressure range in kPa gauge (0 … 10342.14), for messages in the caller's unit [kPa]."""

ALPHA60_LIMITS_PER_F = (230.0e-6, 930.0e-6)
"""Range of the thermal expansion coefficient at 60 °F [1/°F]."""

BASE_TEMPERATURES_F = {"60F": 60.0, "15C": 59.0, "20C": 68.0}
"""The bases of §11.1.6 and §11.1.7, expressed in °F (ITS-90)."""

ROUNDING_DECIMALS = 5
"""CTL, CPL and CTPL are reported to 5 decimals (§11.1.5.5)."""


@dataclass(frozen=True)
class CommodityGroup:
    """One row of the constants table of §11.1.6.1 (densities at 60 °F)."""

    name: str
    density_min_kgm3: float
    density_max_kgm3: float
    k0: float
    k1: float
    k2: float


CRUDE_OIL = CommodityGroup("crude_oil", 610.6, 1163.5, 341.0957, 0.0, 0.0)
FUEL_OILS = CommodityGroup("fuel_oils", 838.3127, 1163.5, 103.8720, 0.2701, 0.0)
JET_FUELS = CommodityGroup("jet_fuels", 787.5195, 838.3127, 330.3010, 0.0, 0.0)
TRANSITION_ZONE = CommodityGroup("transition_zone", 770.3520, 787.5195, 1489.0670, 0.0, -0.00186840)
GASOLINES = CommodityGroup("gasolines", 610.6, 770.3520, 192.4571, 0.2438, 0.0)
LUBRICATING_OILS = CommodityGroup("lubricating_oils", 800.9, 1163.5, 0.0, 0.34878, 0.0)

# Refined products in ascending density; a density on a boundary belongs to the denser group.
REFINED_PRODUCTS = (GASOLINES, TRANSITION_ZONE, JET_FUELS, FUEL_OILS)
_REFINED_BOUNDARIES = np.array([g.density_min_kgm3 for g in REFINED_PRODUCTS[1:]])

GROUPS = {g.name: g for g in (CRUDE_OIL, *REFINED_PRODUCTS, LUBRICATING_OILS)}

COMMODITIES = {
    "crude": "crude_oil",
    "crude_oil": "crude_oil",
    "refined": "refined",
    "refined_products": "refined",
    "lube": "lubricating_oils",
    "lubricating_oils": "lubricating_oils",
    **{g.name: g.name for g in REFINED_PRODUCTS},
}
"""Accepted names of the ``commodity`` argument. ``refined`` chooses the group by density; naming a
single refined group forces it (its density range is then enforced)."""

Base = Literal["60F", "15C", "20C"]


class OutsideStandardLimits(QuantityError):
    """An input lies outside the range for which API MPMS 11.1-2004 is defined; it is never
    extrapolated.

    Attributes
    ----------
    quantity : str
        Which input was out of range: ``"density"``, ``"temperature"``, ``"pressure"`` or ``"alpha60"``.
    """


class DidNotConverge(BulkdaqError, ValueError):
    """The density iteration of §11.1.6.2 / §11.1.7 did not converge (inputs far outside practice)."""


# ---------------------------------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------------------------------


def round_half_away(value: ArrayLike, decimals: int) -> NDArray[np.float64] | np.float64:
    """Round to ``decimals`` places, halves away from zero, as measurement standards round.

    ``numpy.round`` rounds halves to even and works on the binary value, so 2.0035 can become 2.003.
    A scaled fraction within 5e-7 of one half (binary noise, never a real reading) counts as a half,
    which is then rounded away from zero.

    Parameters
    ----------
    value : array_like
        Values to round.
    decimals : int
        Number of decimal places kept.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Rounded values, same shape as ``value``.

    References
    ----------
    .. [1] API MPMS Chapter 12.2.1, §12.2.4 (rounding of numbers: a 5 is rounded up).
    """
    x = np.asarray(value, dtype=np.float64)
    scale = 10.0**decimals
    # Adding 0.5 + 5e-7 and flooring rounds up every scaled fraction ≥ 0.4999995: a true half that binary
    # stored just below .5 (2.0035 → 2003.4999999999998) rounds up, as it does on paper.
    rounded = np.copysign(np.floor(np.abs(x) * scale + 0.5000005), x) / scale
    return rounded if rounded.ndim else np.float64(rounded)


# ---------------------------------------------------------------------------------------------------
# Unit conversions
# ---------------------------------------------------------------------------------------------------


def density_from_api(api_gravity: ArrayLike) -> NDArray[np.float64]:
    """Density at 60 °F from API gravity.

    Parameters
    ----------
    api_gravity : array_like
        API gravity at 60 °F [°API].

    Returns
    -------
    numpy.ndarray
        Density at 60 °F [kg/m³]: 141.5 · 999.016 / (°API + 131.5).

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.5.1.
    """
    return 141.5 * WATER_DENSITY_60F_KGM3 / (np.asarray(api_gravity, dtype=np.float64) + 131.5)


def api_from_density(density_60f_kgm3: ArrayLike) -> NDArray[np.float64]:
    """API gravity from density at 60 °F [kg/m³]; the inverse of :func:`density_from_api` [°API]."""
    return 141.5 * WATER_DENSITY_60F_KGM3 / np.asarray(density_60f_kgm3, dtype=np.float64) - 131.5


def density_from_relative_density(relative_density_60f: ArrayLike) -> NDArray[np.float64]:
    """Density at 60 °F [kg/m³] from relative density 60/60 °F [-]: RD · 999.016 (§11.1.5.1)."""
    return np.asarray(relative_density_60f, dtype=np.float64) * WATER_DENSITY_60F_KGM3


def relative_density_from_density(density_60f_kgm3: ArrayLike) -> NDArray[np.float64]:
    """Relative density 60/60 °F [-] from density at 60 °F [kg/m³]."""
    return np.asarray(density_60f_kgm3, dtype=np.float64) / WATER_DENSITY_60F_KGM3


def fahrenheit_from_celsius(temperature_c: ArrayLike) -> NDArray[np.float64]:
    """Temperature [°F] from [°C]."""
    return np.asarray(temperature_c, dtype=np.float64) * 1.8 + 32.0


def celsius_from_fahrenheit(temperature_f: ArrayLike) -> NDArray[np.float64]:
    """Temperature [°C] from [°F]."""
    return (np.asarray(temperature_f, dtype=np.float64) - 32.0) / 1.8


def psig_from_kpa(pressure_kpa: ArrayLike) -> NDArray[np.float64]:
    """Gauge pressure [psig] from [kPa gauge] (1 psi = 6.894757 kPa)."""
    return np.asarray(pressure_kpa, dtype=np.float64) * PSI_PER_KPA


def kpa_from_psig(pressure_psig: ArrayLike) -> NDArray[np.float64]:
    """Gauge pressure [kPa gauge] from [psig]."""
    return np.asarray(pressure_psig, dtype=np.float64) / PSI_PER_KPA


def psig_from_bar(pressure_bar: ArrayLike) -> NDArray[np.float64]:
    """Gauge pressure [psig] from [bar gauge] (1 bar = 100 kPa)."""
    return psig_from_kpa(np.asarray(pressure_bar, dtype=np.float64) * 100.0)


def ipts68_from_its90_f(temperature_f: ArrayLike) -> NDArray[np.float64]:
    """Shift a temperature from the ITS-90 to the IPTS-68 scale, on which the standard's constants
    were fitted.

    Parameters
    ----------
    temperature_f : array_like
        Temperature on ITS-90 [°F].

    Returns
    -------
    numpy.ndarray
        The same temperature on IPTS-68 [°F].

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.6.1 step 1 (and §11.1.5.3).
    """
    t_c = (np.asarray(temperature_f, dtype=np.float64) - 32.0) / 1.8
    tau = t_c / 630.0
    a1, a2, a3, a4, a5, a6, a7, a8 = _ITS90_TO_IPTS68
    shift = (a1 + (a2 + (a3 + (a4 + (a5 + (a6 + (a7 + a8 * tau) * tau) * tau) * tau) * tau) * tau) * tau) * tau
    return 1.8 * (t_c - shift) + 32.0


# ---------------------------------------------------------------------------------------------------
# Commodity groups
# ---------------------------------------------------------------------------------------------------

GROUP_ORDER = (CRUDE_OIL, GASOLINES, TRANSITION_ZONE, JET_FUELS, FUEL_OILS, LUBRICATING_OILS)
_GROUP_CODE = {g.name: i for i, g in enumerate(GROUP_ORDER)}
_K0 = np.array([g.k0 for g in GROUP_ORDER])
_K1 = np.array([g.k1 for g in GROUP_ORDER])
_K2 = np.array([g.k2 for g in GROUP_ORDER])
_DMIN = np.array([g.density_min_kgm3 for g in GROUP_ORDER])
_DMAX = np.array([g.density_max_kgm3 for g in GROUP_ORDER])
_NAMES = np.array([g.name for g in GROUP_ORDER])


def _commodity(commodity: str) -> str:
    try:
        return COMMODITIES[commodity]
    except KeyError:
        raise ValueError(
            f"unknown commodity {commodity!r}; expected one of {', '.join(sorted(COMMODITIES))}"
        ) from None


def _group_codes(density_60f_kgm3: NDArray[np.float64], commodity: str) -> NDArray[np.intp]:
    """Integer codes into ``GROUP_ORDER``; refined products are picked by density."""
    kind = _commodity(commodity)
    if kind == "refined":
        # Counting the boundaries at or below the density is twice as fast as searchsorted on 3 values.
        low, mid, high = _REFINED_BOUNDARIES
        codes: NDArray[np.intp] = (density_60f_kgm3 >= low).astype(np.intp)
        codes += density_60f_kgm3 >= mid
        codes += density_60f_kgm3 >= high
        codes += _GROUP_CODE["gasolines"]
        return codes
    return np.full(np.shape(density_60f_kgm3), _GROUP_CODE[kind], dtype=np.intp)


def commodity_group(density_60f_kgm3: ArrayLike, commodity: str = "refined") -> NDArray[np.str_] | str:
    """Name of the commodity group used for a density at 60 °F.

    Parameters
    ----------
    density_60f_kgm3 : array_like
        Density at 60 °F [kg/m³].
    commodity : str, default ``"refined"``
        ``"refined"`` chooses gasolines / transition zone / jet fuels / fuel oils by density (a density
        on a boundary belongs to the denser group); ``"crude"`` and ``"lube"`` are the caller's choice
        (a lubricating oil cannot be told from a fuel oil by density). A single refined group name
        forces that group.

    Returns
    -------
    str or numpy.ndarray of str
        Group name(s): crude_oil, gasolines, transition_zone, jet_fuels, fuel_oils, lubricating_oils.

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.6.1 step 2 (table of constants) and §11.1.4 (commodity groups).
    """
    names = _NAMES[_group_codes(np.asarray(density_60f_kgm3, dtype=np.float64), commodity)]
    return names if names.ndim else str(names)


# ---------------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------------


def _first_bad(mask: NDArray[np.bool_], values: NDArray[np.float64]) -> str:
    """Describe the first offending value: ``-70.0`` for a scalar, ``[3] = -70.0`` for an array."""
    index = np.unravel_index(int(np.argmax(mask)), mask.shape) if mask.ndim else ()
    value = float(values[index]) if values.ndim else float(values)
    count = int(mask.sum())
    where = f"[{', '.join(str(i) for i in index)}] = " if index else ""
    more = f" (and {count - 1} more)" if count > 1 else ""
    return f"{where}{value:.10g}{more}"


def _check_range(quantity: str, label: str, values: ArrayLike, low: float, high: float, unit: str) -> None:
    v = np.asarray(values, dtype=np.float64)
    bad = ~((v >= low) & (v <= high))  # NaN counts as bad
    if np.any(bad):
        raise OutsideStandardLimits(
            quantity,
            f"{label} {_first_bad(bad, v)} {unit} is outside the API MPMS 11.1-2004 range "
            f"{low:.10g} … {high:.10g} {unit}",
        )


def _check_density(
    density_60f: NDArray[np.float64],
    codes: NDArray[np.intp],
    given: NDArray[np.float64] | None = None,
    given_label: str = "",
) -> None:
    """Refuse densities outside their group's range; ``given`` is the caller's density when it was not
    a 60 °F density (a 15 °C / 20 °C base or an observed density), so the message shows both."""
    bad = ~((density_60f >= _DMIN[codes]) & (density_60f <= _DMAX[codes]))
    if not np.any(bad):
        return
    i = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
    group = GROUPS[str(_NAMES[np.asarray(codes)[i]])]
    where = f"[{', '.join(map(str, i))}]" if i else ""
    count = int(bad.sum())
    more = f" ({count - 1} more points out of range)" if count > 1 else ""
    rho60 = float(density_60f[i])
    what = (
        f"density at 60 °F{where} {rho60:.10g} kg/m³"
        if given is None
        else f"{given_label}{where} {float(given[i]):.10g} kg/m³ (= {rho60:.4f} kg/m³ at 60 °F)"
    )
    raise OutsideStandardLimits(
        "density",
        f"{what} is outside the {group.name} range {group.density_min_kgm3:.10g} … "
        f"{group.density_max_kgm3:.10g} kg/m³ at 60 °F (API MPMS 11.1-2004 §11.1.6.1){more}",
    )


# ---------------------------------------------------------------------------------------------------
# §11.1.6.1 — 60 °F base
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeCorrection:
    """Result of a volume correction: every intermediate figure of §11.1.6.1.

    Each attribute is a numpy array (or a numpy scalar / str for scalar inputs).

    Attributes
    ----------
    group_codes : ndarray of int
        Index of each point's group in ``GROUP_ORDER`` (``group`` gives the names).
    density_60f_kgm3 : float or ndarray
        Base density at 60 °F [kg/m³] the factors were computed from.
    t_ipts68_f : float or ndarray
        Observed temperature on the IPTS-68 scale [°F].
    rho_star_kgm3 : float or ndarray
        Density at 60 °F shifted to the IPTS-68 basis [kg/m³].
    alpha60_per_f : float or ndarray
        Thermal expansion coefficient at 60 °F [1/°F].
    fp_scaled : float or ndarray
        Scaled compressibility factor Fp, as the standard prints it: CPL = 1/(1 − 1e-5·Fp·P[psig]) [-].
    ctl, cpl, ctpl : float or ndarray
        Correction factors for temperature, pressure and both, rounded to 5 decimals unless the caller
        asked for unrounded values.
    rounded : bool
        Whether ctl, cpl, ctpl are rounded.
    """

    group_codes: NDArray[np.intp]
    density_60f_kgm3: NDArray[np.float64] | np.float64
    t_ipts68_f: NDArray[np.float64] | np.float64
    rho_star_kgm3: NDArray[np.float64] | np.float64
    alpha60_per_f: NDArray[np.float64] | np.float64
    fp_scaled: NDArray[np.float64] | np.float64
    ctl: NDArray[np.float64] | np.float64
    cpl: NDArray[np.float64] | np.float64
    ctpl: NDArray[np.float64] | np.float64
    rounded: bool

    @property
    def group(self) -> NDArray[np.str_] | str:
        """Commodity group name(s) used (built on demand: a million-point string array is costly)."""
        return _name_or_array(_NAMES[self.group_codes])


def _float_or_array(x: NDArray[np.float64]) -> NDArray[np.float64] | np.float64:
    """An array as it is; a 0-d array as one number."""
    return x if x.ndim else np.float64(x)


def _name_or_array(x: NDArray[np.str_]) -> NDArray[np.str_] | str:
    """An array of group names as it is; a 0-d one as one name."""
    return x if x.ndim else str(x)


def _k(codes: NDArray[np.intp]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    return _K0[codes], _K1[codes], _K2[codes]


def _rho_star(rho60: NDArray[np.float64], k0: NDArray[np.float64], k1: NDArray[np.float64], k2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Density shift to the IPTS-68 basis (§11.1.6.1 step 3)."""
    a = DELTA_60 / 2.0 * ((k0 / rho60 + k1) / rho60 + k2)
    b = (2.0 * k0 + k1 * rho60) / (k0 + (k1 + k2 * rho60) * rho60)
    return rho60 * (1.0 + np.expm1(a * (1.0 + 0.8 * a)) / (1.0 + a * (1.0 + 1.6 * a) * b))


def _alpha60(rho_star: NDArray[np.float64], k0: NDArray[np.float64], k1: NDArray[np.float64], k2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Thermal expansion coefficient at 60 °F (§11.1.6.1 step 4) [1/°F]."""
    return (k0 / rho_star + k1) / rho_star + k2


def _ctl(alpha60: NDArray[np.float64], t_star_f: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """CTL from 60 °F to T* (§11.1.6.1 step 5)."""
    dt = t_star_f - BASE_60F_IPTS68
    return np.exp(-alpha60 * dt * (1.0 + 0.8 * alpha60 * (dt + DELTA_60)))


def _fp(rho_star: NDArray[np.float64], t_star_f: NDArray[np.float64]) -> NDArray[np.float64]:
    """Scaled compressibility factor (§11.1.6.1 step 6) [1e-5 / psi]."""
    return np.exp(-1.9947 + 0.00013427 * t_star_f + (793920.0 + 2326.0 * t_star_f) / (rho_star * rho_star))


def _cpl(fp: NDArray[np.float64], pressure_psig: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 - 1e-5 * fp * pressure_psig)


def _factors_60f(
    rho60: NDArray[np.float64], codes: NDArray[np.intp], temperature_f: NDArray[np.float64], pressure_psig: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Unrounded T*, ρ*, α60, Fp, CTL, CPL without any limit check (used inside iterations too)."""
    k0, k1, k2 = _k(codes)
    t_star = ipts68_from_its90_f(temperature_f)
    rho_star = _rho_star(rho60, k0, k1, k2)
    alpha = _alpha60(rho_star, k0, k1, k2)
    ctl = _ctl(alpha, t_star)
    fp = _fp(rho_star, t_star)
    cpl = _cpl(fp, pressure_psig)
    return t_star, rho_star, alpha, fp, ctl, cpl


def _check_si_conditions(temperature_c: ArrayLike, pressure_kpa: ArrayLike) -> None:
    """The standard's temperature and pressure limits, stated in °C and kPa for SI callers."""
    _check_range("temperature", "temperature", temperature_c, *TEMPERATURE_LIMITS_C, "°C")
    gauge = np.maximum(np.asarray(pressure_kpa, dtype=np.float64), 0.0)
    _check_range("pressure", "pressure", gauge, *PRESSURE_LIMITS_KPA, "kPa")


def _gauge(pressure_psig: ArrayLike) -> NDArray[np.float64]:
    """Negative gauge pressure is taken as 0 psig (§11.1.6.1)."""
    return np.maximum(np.asarray(pressure_psig, dtype=np.float64), 0.0)


def ctpl_60f(
    density_60f_kgm3: ArrayLike,
    temperature_f: ArrayLike,
    pressure_psig: ArrayLike = 0.0,
    commodity: str = "refined",
    rounded: bool = True,
) -> VolumeCorrection:
    """CTL, CPL and CTPL from observed conditions to 60 °F and 0 psig (§11.1.6.1).

    Parameters
    ----------
    density_60f_kgm3 : array_like
        Base density at 60 °F [kg/m³] (convert °API with :func:`density_from_api`, relative density
        with :func:`density_from_relative_density`).
    temperature_f : array_like
        Observed (ITS-90) temperature [°F], −58 … 302.
    pressure_psig : array_like, default 0
        Observed gauge pressure [psig], 0 … 1500; negative values are taken as 0.
    commodity : str, default ``"refined"``
        ``"refined"`` (group by density), ``"crude"``, ``"lube"``, or one refined group name to force it.
    rounded : bool, default True
        Round CTL, CPL and CTPL to 5 decimals as the standard reports them (CTPL is the product of the
        unrounded CTL and CPL, then rounded). ``False`` returns unrounded factors.

    Returns
    -------
    VolumeCorrection
        Group, T* (IPTS-68), ρ*, α60, Fp, CTL, CPL, CTPL.

    Raises
    ------
    OutsideStandardLimits
        Temperature, pressure, density (for the group) or α60 outside the standard's range.
    ValueError
        Unknown commodity name.

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.6.1 (steps 1–7) and §11.1.5 (limits, rounding).
    """
    rho60, temperature, pressure = np.broadcast_arrays(
        np.asarray(density_60f_kgm3, dtype=np.float64),
        np.asarray(temperature_f, dtype=np.float64),
        _gauge(pressure_psig),
    )
    _commodity(commodity)
    _check_range("temperature", "temperature", temperature, *TEMPERATURE_LIMITS_F, "°F")
    _check_range("pressure", "pressure", pressure, *PRESSURE_LIMITS_PSIG, "psig")
    _precheck_density(rho60, "density at 60 °F")
    figures = _correct(rho60, temperature, pressure, None, commodity, rounded)
    _check_density(figures["rho60"], figures["codes"])
    _check_range("alpha60", "alpha60", figures["alpha"], *ALPHA60_LIMITS_PER_F, "1/°F")
    return _result(figures, rounded)


def _result(figures: dict[str, NDArray[Any]], rounded: bool) -> VolumeCorrection:
    """The 60 °F figures of :func:`_correct` as a VolumeCorrection (CTL is the 60 °F CTL)."""
    s = _float_or_array
    return VolumeCorrection(
        group_codes=figures["codes"],
        density_60f_kgm3=s(figures["rho60"]),
        t_ipts68_f=s(figures["t_star"]),
        rho_star_kgm3=s(figures["rho_star"]),
        alpha60_per_f=s(figures["alpha"]),
        fp_scaled=s(figures["fp"]),
        ctl=s(figures["ctl_60f"]),
        cpl=s(figures["cpl_60f"]),
        ctpl=s(figures["ctpl_60f"]),
        rounded=rounded,
    )


_BLOCK = 16384
"""Points computed at a time: the temporaries (128 kB each) stay in the CPU cache, which makes a
million-point call about twice as fast as computing on million-point temporaries."""

_FLOAT_FIGURES = (
    "rho60", "t_star", "rho_star", "alpha", "fp", "ctl_60f", "cpl_60f", "ctpl_60f", "ctl_base", "ctl", "cpl", "ctpl",
)


def _correct(
    rho_base: NDArray[np.float64], temperature_f: NDArray[np.float64], pressure_psig: NDArray[np.float64], base_f: float | None, commodity: str, rounded: bool
) -> dict[str, NDArray[Any]]:
    """Every figure of §11.1.6.1 (and §11.1.7 when ``base_f`` is given), for same-shape arrays.

    No limit is checked here: the callers check the inputs before and ρ60 and α60 after. Computed in
    blocks of ``_BLOCK`` points (a loop over blocks, never over points).

    Returns a dict of arrays shaped like the inputs: rho60, codes, t_star, rho_star, alpha, fp,
    ctl_60f, cpl, ctpl_60f (60 °F factors), ctl_base (CTL at the base temperature, 1 for 60 °F), and ctl,
    ctpl to the base; ctl, cpl and ctpl rounded to 5 decimals when ``rounded`` (and ctl_60f, ctpl_60f
    too when the base is 60 °F; otherwise they stay unrounded, like everything behind the result).
    """
    shape = rho_base.shape
    flat_rho, flat_t, flat_p = (np.ravel(x) for x in (rho_base, temperature_f, pressure_psig))
    n = flat_rho.size
    out = {name: np.empty(n) for name in _FLOAT_FIGURES}
    out["codes"] = np.empty(n, dtype=np.intp)
    t_star_base = None if base_f is None else float(ipts68_from_its90_f(base_f))
    for start in range(0, n, _BLOCK):
        block = slice(start, start + _BLOCK)
        rho60 = flat_rho[block] if base_f is None else _rho60_from_base(flat_rho[block], base_f, commodity)
        codes = _group_codes(rho60, commodity)
        k0, k1, k2 = _k(codes)
        rho_star = _rho_star(rho60, k0, k1, k2)
        alpha = _alpha60(rho_star, k0, k1, k2)
        t_star = ipts68_from_its90_f(flat_t[block])
        ctl_60f = _ctl(alpha, t_star)
        fp = _fp(rho_star, t_star)
        cpl = _cpl(fp, flat_p[block])
        ctl_base = 1.0 if t_star_base is None else _ctl(alpha, t_star_base)
        ctl = ctl_60f / ctl_base
        cpl_60f = cpl
        ctpl, ctpl_60f = ctl * cpl, ctl_60f * cpl  # CTPL from the unrounded CTL and CPL
        if rounded:
            ctl, cpl, ctpl = (cast(NDArray[np.float64], round_half_away(x, ROUNDING_DECIMALS)) for x in (ctl, cpl, ctpl))  # arrays in, arrays out
            if t_star_base is None:  # at 60 °F the 60 °F factors are the result
                ctl_60f, cpl_60f, ctpl_60f = ctl, cpl, ctpl
        for name, value in (
            ("rho60", rho60), ("codes", codes), ("t_star", t_star), ("rho_star", rho_star), ("alpha", alpha),
            ("fp", fp), ("ctl_60f", ctl_60f), ("cpl_60f", cpl_60f), ("ctpl_60f", ctpl_60f), ("ctl_base", ctl_base), ("cpl", cpl),
            ("ctl", ctl), ("ctpl", ctpl),
        ):
            out[name][block] = value
    return {name: value.reshape(shape) for name, value in out.items()}


_SANE_DENSITY_KGM3 = (300.0, 2000.0)
"""Densities outside this window are refused before any iteration (the exact group ranges are checked
on ρ60 afterwards); inside it the iterations are well behaved."""


def _precheck_density(density: NDArray[np.float64], label: str) -> None:
    bad = ~((density >= _SANE_DENSITY_KGM3[0]) & (density <= _SANE_DENSITY_KGM3[1]))  # NaN counts as bad
    if np.any(bad):
        raise OutsideStandardLimits(
            "density",
            f"{label} {_first_bad(bad, density)} kg/m³ is far outside the API MPMS 11.1-2004 range "
            f"({CRUDE_OIL.density_min_kgm3:.10g} … {CRUDE_OIL.density_max_kgm3:.10g} kg/m³ at 60 °F)",
        )


# ---------------------------------------------------------------------------------------------------
# §11.1.7 — 15 °C and 20 °C bases, and the inverse (§11.1.6.2)
# ---------------------------------------------------------------------------------------------------

_MAX_ITERATIONS = 100
_TOLERANCE_KGM3 = 1e-9
"""Stop when the estimated remaining error is below 1e-9 kg/m³ (1e-12 relative): its effect on a
factor is ~1e-15, ten orders of magnitude below the 5th decimal."""


def _iterate(step: Callable[[NDArray[np.float64]], NDArray[np.float64]], start: NDArray[np.float64], what: str) -> NDArray[np.float64]:
    """Fixed-point iteration x ← step(x) with an a-posteriori error estimate.

    For a contraction with ratio q the remaining error after a change Δ is at most Δ·q/(1 − q); q is
    estimated from two successive changes. Stops when that estimate is below ``_TOLERANCE_KGM3``.
    """
    x = start
    previous = np.inf
    for _ in range(_MAX_ITERATIONS):
        updated = step(x)
        change = float(np.max(np.abs(updated - x), initial=0.0))
        x = updated
        if change == 0.0:
            return x
        if np.isfinite(previous):  # the ratio needs two changes
            q = min(change / previous, 0.99)
            if change * q / (1.0 - q) < _TOLERANCE_KGM3:
                return x
        previous = change
    raise DidNotConverge(f"{what} did not converge within {_MAX_ITERATIONS} steps (last change {change:.10g} kg/m³)")


def _solve_rho60(
    target_density: NDArray[np.float64], temperature_f: NDArray[np.float64], pressure_psig: NDArray[np.float64], commodity: str
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Solve target = ρ60 · CTL(T; ρ60) · CPL(T, P; ρ60) for ρ60, re-picking the group each step (§11.1.6.2).

    The fixed-point map's contraction ratio is |d ln CTPL / d ln ρ| ≈ 2·α·ΔT < 0.5 inside the limits.
    """

    def step(rho60: NDArray[np.float64]) -> NDArray[np.float64]:
        *_, ctl, cpl = _factors_60f(rho60, _group_codes(rho60, commodity), temperature_f, pressure_psig)
        return target_density / (ctl * cpl)

    rho60 = _iterate(step, target_density, "observed-to-base density iteration")
    return rho60, _group_codes(rho60, commodity)


def _rho60_from_base(rho_base: NDArray[np.float64], base_f: float, commodity: str) -> NDArray[np.float64]:
    """ρ60 from a 15 °C / 20 °C density: ρ_base = ρ60 · CTL(base; ρ60) at 0 psig (§11.1.7).

    Specialised for speed: the base temperature is one scalar, and no pressure term is needed. The
    contraction ratio is ~5e-3, so four or five steps suffice.
    """
    t_star = float(ipts68_from_its90_f(base_f))

    def step(rho60: NDArray[np.float64]) -> NDArray[np.float64]:
        k0, k1, k2 = _k(_group_codes(rho60, commodity))
        return rho_base / _ctl(_alpha60(_rho_star(rho60, k0, k1, k2), k0, k1, k2), t_star)

    return _iterate(step, rho_base, f"density iteration from base {base_f:g} °F to 60 °F")


def density_60f_from_base(
    base_density_kgm3: ArrayLike, base: Base, commodity: str = "refined"
) -> NDArray[np.float64] | np.float64:
    """The density at 60 °F equivalent to a density at 15 °C or 20 °C (§11.1.7 step 1).

    The base density is treated as an observed density at 59 °F (15 °C) or 68 °F (20 °C) and 0 psig
    and corrected to 60 °F by iterating the 60 °F procedure, re-choosing the group from ρ60 each step.

    Parameters
    ----------
    base_density_kgm3 : array_like
        Density at the base temperature [kg/m³].
    base : {"60F", "15C", "20C"}
        Base temperature of ``base_density_kgm3``; for ``"60F"`` the density is returned unchanged.
    commodity : str, default ``"refined"``
        See :func:`ctpl_60f`.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Density at 60 °F [kg/m³], unrounded (not range-checked; :func:`ctpl_at_base` checks it).

    Raises
    ------
    ValueError
        Unknown base or commodity.
    DidNotConverge
        The iteration did not converge.

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.7.1 (15 °C) and §11.1.7.2 (20 °C).
    """
    rho = np.asarray(base_density_kgm3, dtype=np.float64)
    _commodity(commodity)
    base_f = _base_f(base)
    if base == "60F":
        return _float_or_array(rho.copy())
    return _float_or_array(_rho60_from_base(rho, base_f, commodity))


def _base_f(base: str) -> float:
    try:
        return BASE_TEMPERATURES_F[base]
    except KeyError:
        raise ValueError(f"unknown base {base!r}; expected one of {', '.join(BASE_TEMPERATURES_F)}") from None


@dataclass(frozen=True)
class BaseCorrection:
    """Correction factors to a 15 °C, 20 °C or 60 °F base (§11.1.7), with the 60 °F figures behind them.

    Attributes
    ----------
    base : str
        ``"60F"``, ``"15C"`` or ``"20C"``.
    ctl, cpl, ctpl : float or ndarray
        Factors from observed conditions to the base (rounded to 5 decimals unless unrounded).
    at_60f : VolumeCorrection
        The 60 °F computation at the observed conditions from the equivalent ρ60 (unrounded unless the
        base is 60 °F).
    ctl_base_from_60f : float or ndarray
        CTL(base temperature; ρ60), unrounded: the divisor that moves the 60 °F CTL to the base.
    """

    base: str
    ctl: NDArray[np.float64] | np.float64
    cpl: NDArray[np.float64] | np.float64
    ctpl: NDArray[np.float64] | np.float64
    at_60f: VolumeCorrection
    ctl_base_from_60f: NDArray[np.float64] | np.float64
    rounded: bool

    @property
    def group(self) -> NDArray[np.str_] | str:
        return self.at_60f.group

    @property
    def density_60f_kgm3(self) -> NDArray[np.float64] | np.float64:
        return self.at_60f.density_60f_kgm3


def ctpl_at_base(
    base_density_kgm3: ArrayLike,
    temperature_c: ArrayLike,
    pressure_kpa: ArrayLike = 0.0,
    base: Base = "15C",
    commodity: str = "refined",
    rounded: bool = True,
) -> BaseCorrection:
    """CTL, CPL and CTPL from observed conditions to a 15 °C, 20 °C or 60 °F base, in SI units.

    For 15 °C and 20 °C the standard's §11.1.7 is followed: the base density is converted to the
    equivalent ρ60 (:func:`density_60f_from_base`), the 60 °F CTL at the observed temperature is divided
    by the 60 °F CTL at the base temperature, and CPL is the 60 °F CPL at the observed conditions.

    Parameters
    ----------
    base_density_kgm3 : array_like
        Density at the base temperature [kg/m³].
    temperature_c : array_like
        Observed temperature [°C], −50 … 150.
    pressure_kpa : array_like, default 0
        Observed gauge pressure [kPa], 0 … 10342 (1500 psig); negative values are taken as 0.
    base : {"15C", "20C", "60F"}, default ``"15C"``
        Base temperature of the density and of the result.
    commodity : str, default ``"refined"``
        See :func:`ctpl_60f`.
    rounded : bool, default True
        Round CTL, CPL, CTPL to 5 decimals (CTPL from the unrounded CTL and CPL).

    Returns
    -------
    BaseCorrection

    Raises
    ------
    OutsideStandardLimits
        Temperature, pressure, density or α60 outside the standard's range (the density check is made on
        the equivalent ρ60, and the message gives both).
    ValueError
        Unknown base or commodity.

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.7 (other bases) and §11.1.6.1.
    """
    base_f = _base_f(base)
    _commodity(commodity)
    rho_base, temperature_c, pressure_kpa = np.broadcast_arrays(
        np.asarray(base_density_kgm3, dtype=np.float64),
        np.asarray(temperature_c, dtype=np.float64),
        np.asarray(pressure_kpa, dtype=np.float64),
    )
    _check_si_conditions(temperature_c, pressure_kpa)
    _precheck_density(rho_base, f"density at {base}")
    temperature_f = fahrenheit_from_celsius(temperature_c)
    pressure = _gauge(psig_from_kpa(pressure_kpa))
    figures = _correct(rho_base, temperature_f, pressure, None if base == "60F" else base_f, commodity, rounded)
    if base == "60F":
        _check_density(figures["rho60"], figures["codes"])
    else:
        _check_density(figures["rho60"], figures["codes"], rho_base, f"density at {base}")
    _check_range("alpha60", "alpha60", figures["alpha"], *ALPHA60_LIMITS_PER_F, "1/°F")
    s = _float_or_array
    return BaseCorrection(
        base=base,
        ctl=s(figures["ctl"]),
        cpl=s(figures["cpl"]),
        ctpl=s(figures["ctpl"]),
        at_60f=_result(figures, rounded and base == "60F"),
        ctl_base_from_60f=s(figures["ctl_base"]),
        rounded=rounded,
    )


def glass_hydrometer_correction(
    temperature: ArrayLike, unit: Literal["F", "C"], reference: float | None = None
) -> NDArray[np.float64] | np.float64:
    """Factor that corrects a glass-hydrometer reading for the thermal expansion of the glass.

    Parameters
    ----------
    temperature : array_like
        Temperature of the sample when read [°F or °C, per ``unit``].
    unit : {"F", "C"}
        ``"F"``: 1 − 0.00001278·(T−60) − 0.0000000062·(T−60)²;
        ``"C"``: 1 − 0.000023·(t−t_ref) − 0.00000002·(t−t_ref)².
    reference : float, optional
        Calibration temperature of the hydrometer in ``unit`` (60 °F, or 15 °C unless given, e.g. 20 °C).

    Returns
    -------
    numpy.ndarray or numpy.float64
        Multiplier applied to the hydrometer reading [-].

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.6.2 / §11.1.7 (hydrometer correction, optional).
    """
    t = np.asarray(temperature, dtype=np.float64)
    if unit == "F":
        d = t - (60.0 if reference is None else reference)
        return _float_or_array(1.0 - 0.00001278 * d - 0.0000000062 * d * d)
    if unit == "C":
        d = t - (15.0 if reference is None else reference)
        return _float_or_array(1.0 - 0.000023 * d - 0.00000002 * d * d)
    raise ValueError(f"unknown temperature unit {unit!r}; expected 'F' or 'C'")


@dataclass(frozen=True)
class BaseDensity:
    """Base density solved from an observed density (§11.1.6.2, §11.1.7).

    Attributes
    ----------
    base : str
        Base of the result.
    base_density_kgm3 : float or ndarray
        Density at the base [kg/m³], rounded to 0.1 kg/m³ unless unrounded.
    density_60f_kgm3 : float or ndarray
        Equivalent density at 60 °F [kg/m³], unrounded.
    observed_density_kgm3 : float or ndarray
        The observed density used, after the optional glass-hydrometer correction [kg/m³].
    group : str or ndarray of str
        Commodity group of the result.
    ctpl : float or ndarray
        Unrounded CTPL from the observed conditions to the base.
    """

    base: str
    base_density_kgm3: NDArray[np.float64] | np.float64
    density_60f_kgm3: NDArray[np.float64] | np.float64
    observed_density_kgm3: NDArray[np.float64] | np.float64
    group: NDArray[np.str_] | str
    ctpl: NDArray[np.float64] | np.float64


def base_density_from_observed(
    observed_density_kgm3: ArrayLike,
    temperature_c: ArrayLike,
    pressure_kpa: ArrayLike = 0.0,
    base: Base = "15C",
    commodity: str = "refined",
    glass_hydrometer: bool = False,
    rounded: bool = True,
) -> BaseDensity:
    """Density at the base from a density observed at temperature and pressure (the inverse).

    Iterates ρ60 = ρ_obs / CTPL(ρ60, T, P) with unrounded factors, re-choosing the refined group from
    ρ60 each step, then moves ρ60 to the base: ρ_base = ρ60 · CTL(base temperature; ρ60).

    Parameters
    ----------
    observed_density_kgm3 : array_like
        Density at the observed temperature and pressure [kg/m³].
    temperature_c : array_like
        Observed temperature [°C], −50 … 150.
    pressure_kpa : array_like, default 0
        Observed gauge pressure [kPa]; negative values are taken as 0.
    base : {"15C", "20C", "60F"}, default ``"15C"``
    commodity : str, default ``"refined"``
        See :func:`ctpl_60f`.
    glass_hydrometer : bool, default False
        Apply the glass-hydrometer correction to the observed density first (only for readings taken
        with a glass hydrometer; off unless asked for). Uses the °F form for a 60 °F base and the °C
        form, referred to the base temperature, for 15 °C and 20 °C.
    rounded : bool, default True
        Round the base density to 0.1 kg/m³.

    Returns
    -------
    BaseDensity

    Raises
    ------
    OutsideStandardLimits
        Temperature, pressure or the solved density outside the standard's range.
    DidNotConverge
        The iteration did not converge.

    References
    ----------
    .. [1] API MPMS 11.1-2004, §11.1.6.2 (observed to base density), §11.1.7.
    """
    base_f = _base_f(base)
    observed = np.asarray(observed_density_kgm3, dtype=np.float64)
    temperature_c = np.asarray(temperature_c, dtype=np.float64)
    temperature_f = fahrenheit_from_celsius(temperature_c)
    pressure = _gauge(psig_from_kpa(pressure_kpa))
    observed, temperature_c, temperature_f, pressure = np.broadcast_arrays(
        observed, temperature_c, temperature_f, pressure
    )
    _check_si_conditions(temperature_c, pressure_kpa)
    _precheck_density(observed, "observed density")
    if glass_hydrometer:
        if base == "60F":
            observed = observed * glass_hydrometer_correction(temperature_f, "F")
        else:
            observed = observed * glass_hydrometer_correction(temperature_c, "C", reference=(base_f - 32.0) / 1.8)
    rho60, codes = _solve_rho60(observed, temperature_f, pressure, commodity)
    _check_density(rho60, codes, observed, "observed density")
    *_, ctl_obs, cpl = _factors_60f(rho60, codes, temperature_f, pressure)
    if base == "60F":
        rho_base = rho60
        ctl_base = np.ones_like(rho60)
    else:
        *_, ctl_base, _ = _factors_60f(rho60, codes, np.full(rho60.shape, base_f), np.zeros(rho60.shape))
        rho_base = rho60 * ctl_base
    s = _float_or_array
    return BaseDensity(
        base=base,
        base_density_kgm3=s(np.asarray(round_half_away(rho_base, 1) if rounded else rho_base)),
        density_60f_kgm3=s(rho60),
        observed_density_kgm3=s(np.asarray(observed)),
        group=_name_or_array(_NAMES[codes]),
        ctpl=s(ctl_obs / ctl_base * cpl),
    )


__all__ = [
    "ALPHA60_LIMITS_PER_F",
    "BASE_60F_IPTS68",
    "BASE_TEMPERATURES_F",
    "COMMODITIES",
    "CRUDE_OIL",
    "DELTA_60",
    "FUEL_OILS",
    "GASOLINES",
    "GROUPS",
    "GROUP_ORDER",
    "JET_FUELS",
    "LUBRICATING_OILS",
    "PRESSURE_LIMITS_KPA",
    "PRESSURE_LIMITS_PSIG",
    "PSI_PER_KPA",
    "REFINED_PRODUCTS",
    "ROUNDING_DECIMALS",
    "TEMPERATURE_LIMITS_C",
    "TEMPERATURE_LIMITS_F",
    "TRANSITION_ZONE",
    "WATER_DENSITY_60F_KGM3",
    "Base",
    "BaseCorrection",
    "BaseDensity",
    "CommodityGroup",
    "DidNotConverge",
    "OutsideStandardLimits",
    "VolumeCorrection",
    "api_from_density",
    "base_density_from_observed",
    "celsius_from_fahrenheit",
    "commodity_group",
    "ctpl_60f",
    "ctpl_at_base",
    "density_60f_from_base",
    "density_from_api",
    "density_from_relative_density",
    "fahrenheit_from_celsius",
    "glass_hydrometer_correction",
    "ipts68_from_its90_f",
    "kpa_from_psig",
    "psig_from_bar",
    "psig_from_kpa",
    "relative_density_from_density",
    "round_half_away",
]
