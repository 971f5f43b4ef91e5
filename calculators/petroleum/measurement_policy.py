"""The measurement policy every ticket records: edition, base temperature and rounding.

A quantity is only meaningful with the method behind it. Contracts name the edition (API MPMS 11.1-2004
or ASTM D1250-1980), the base temperature (15 °C, 20 °C or 60 °F) and the rounding; none of these is a
hidden default here, and every ticket carries the policy it used and each figure's rounding.

References
----------
.. [1] API MPMS Chapter 11.1-2004, §11.1.5.5 (CTL, CPL, CTPL to 5 decimals).
.. [2] ASTM D1250-80, Tables 54A/54B/54D (VCF to 4 decimals).
.. [3] API MPMS Chapter 12.2.1, §12.2.4 (rounding of intermediate figures; a 5 rounds up) and
   Chapter 12.1.1 (CTSh to 5 decimals).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.petroleum import vcf_1980, volume_correction
from calculators.petroleum.volume_correction import round_half_away

Edition = Literal["2004", "1980"]
Rounding = Literal["standard", "unrounded"]

EDITIONS = ("2004", "1980")
BASES = ("15C", "20C", "60F")
ROUNDINGS = ("standard", "unrounded")

SHELL_FACTOR_DECIMALS = 5
"""CTSh is rounded to 5 decimals (API MPMS 12.1.1)."""
WCF_DECIMALS = 4
"""Table 56 WCF is printed to 4 decimals."""
METER_FACTOR_DECIMALS = 4
"""Meter factors are proved and stated to 4 decimals (API MPMS 12.2.3)."""

# Decimals a figure is *shown* with when the policy gives it no rounding of its own: readings and laboratory
# values used as given (they are never rounded in the calculation), and every figure of an unrounded
# policy. Volumes and masses follow the policy's volume and mass decimals. The other resolutions are the
# ones a ticket states its readings to: 0.01 °C / 0.1 °F, 0.1 kPa, 0.1 kg/m³, 1 mm of level, 1 g on a
# mass totalizer, 0.001 % S&W, a factor given as input (meter factor, VEF) to 4 decimals like a proved
# meter factor, WCF to 4 (Table 56), a shell expansion coefficient to 0.01 × 10⁻⁶ /°C.
READING_DECIMALS: dict[str, int] = {
    "degC": 2,
    "degF": 1,
    "kPa": 1,
    "bar": 3,
    "psi": 1,
    "kg/m3": 1,
    "m": 3,
    "mm": 0,
    "kg": 3,
    "%": 3,
    "-": METER_FACTOR_DECIMALS,
    "t/m3": WCF_DECIMALS,
    "1/degC": 8,
}
UNROUNDED_SHOWN_EXTRA_DECIMALS = 3
"""An unrounded policy computes at full precision; its volumes, masses, factors and WCF are shown with
3 decimals more than the standard rounding would keep (never as raw floating-point digits)."""


@dataclass(frozen=True)
class MeasurementPolicy:
    """Edition, base and rounding used for a quantity; recorded on every ticket.

    Parameters
    ----------
    edition : {"2004", "1980"}
        ``"2004"``: API MPMS 11.1-2004 (CTL, CPL, CTPL to 5 decimals). ``"1980"``: ASTM D1250-1980
        Tables 54A/54B/54D (CTL to 4 decimals, 15 °C base only); a pressure correction, which the
        1980 tables do not have, is then taken from API MPMS 11.1-2004 (which superseded API MPMS
        11.2.1) and rounded to 4 decimals like the CTL.
    base : {"15C", "20C", "60F"}
        Base temperature of the standard volumes and of the base density.
    rounding : {"standard", "unrounded"}
        ``"standard"`` rounds every figure as the standards do (factors to the edition's decimals, CCF
        likewise, volumes and masses to the decimals below); ``"unrounded"`` keeps full precision.
    volume_decimals : int, default 3
        Decimals of volumes [m³] (3 = 0.001 m³, one litre).
    mass_decimals : int, default 3
        Decimals of masses and weights [t] (3 = 1 kg).

    Raises
    ------
    ValueError
        Unknown edition, base or rounding; 1980 edition with a base other than 15 °C; decimals outside
        0 … 9.
    """

    edition: Edition
    base: volume_correction.Base
    rounding: Rounding
    volume_decimals: int = 3
    mass_decimals: int = 3

    def __post_init__(self) -> None:
        if self.edition not in EDITIONS:
            raise ValueError(f"unknown edition {self.edition!r}; expected one of {', '.join(EDITIONS)}")
        if self.base not in BASES:
            raise ValueError(f"unknown base {self.base!r}; expected one of {', '.join(BASES)}")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {self.rounding!r}; expected one of {', '.join(ROUNDINGS)}")
        if self.edition == "1980" and self.base != "15C":
            raise ValueError(
                f"edition 1980 (ASTM D1250-1980 Tables 54A/54B/54D) is defined at 15 °C only, not {self.base}"
            )
        for name in ("volume_decimals", "mass_decimals"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9:
                raise ValueError(f"{name} must be an integer 0 … 9, not {value!r}")

    # -- rounding ------------------------------------------------------------------------------------

    @property
    def factor_decimals(self) -> int | None:
        """Decimals of CTL, CPL, CTPL and CCF: 5 (2004), 4 (1980), None when unrounded."""
        if self.rounding == "unrounded":
            return None
        return volume_correction.ROUNDING_DECIMALS if self.edition == "2004" else vcf_1980.VCF_DECIMALS

    def _round(self, value: ArrayLike, decimals: int | None) -> NDArray[np.float64] | np.float64:
        if decimals is None or self.rounding == "unrounded":
            x = np.asarray(value, dtype=np.float64)
            return x if x.ndim else np.float64(x)
        return round_half_away(value, decimals)

    def decimals_for(self, kind: str) -> int | None:
        """Decimals used for a kind of figure: factor, shell_factor, wcf, volume, mass or unrounded."""
        if self.rounding == "unrounded" and kind != "unrounded":
            return None
        return {
            "factor": self.factor_decimals,
            "shell_factor": SHELL_FACTOR_DECIMALS,
            "wcf": WCF_DECIMALS,
            "volume": self.volume_decimals,
            "mass": self.mass_decimals,
            "unrounded": None,
        }[kind]

    def round(self, value: ArrayLike, kind: str) -> NDArray[np.float64] | np.float64:
        """Round ``value`` as this policy rounds figures of ``kind`` (see :meth:`decimals_for`)."""
        return self._round(value, self.decimals_for(kind))

    def shown_decimals(self, unit: str, decimals: int | None = None) -> int:
        """The decimals a figure in ``unit`` is shown with on a ticket, report or certificate.

        ``decimals`` is what the figure was rounded to (None: as given, or unrounded). A rounded figure
        is shown at its own decimals; a reading or laboratory value at its unit's reading resolution
        (``READING_DECIMALS``; volumes and masses at this policy's decimals); a computed figure of an
        unrounded policy at the standard decimals plus ``UNROUNDED_SHOWN_EXTRA_DECIMALS``.
        """
        if decimals is not None:
            return decimals
        standard = {"m3": self.volume_decimals, "t": self.mass_decimals}
        if self.rounding == "unrounded":
            factors = volume_correction.ROUNDING_DECIMALS if self.edition == "2004" else vcf_1980.VCF_DECIMALS
            computed = {**standard, "-": factors, "t/m3": WCF_DECIMALS}
            if unit in computed:
                return computed[unit] + UNROUNDED_SHOWN_EXTRA_DECIMALS
        return standard.get(unit, READING_DECIMALS.get(unit, self.mass_decimals))

    # -- description ---------------------------------------------------------------------------------

    def method(self) -> str:
        """One line naming the method, base and rounding, for tickets and certificates."""
        base = {"15C": "15 °C", "20C": "20 °C", "60F": "60 °F"}[self.base]
        if self.edition == "2004":
            method = f"API MPMS 11.1-2004 (ASTM D1250-04) at {base}"
        else:
            method = (
                "ASTM D1250-1980 Table 54A/54B/54D at 15 °C (CTL); CPL from API MPMS 11.1-2004 §11.1.6.1"
            )
        if self.rounding == "unrounded":
            return f"{method}; unrounded"
        return (
            f"{method}; CTL, CPL, CTPL and CCF to {self.factor_decimals} decimals, CTSh to "
            f"{SHELL_FACTOR_DECIMALS}, WCF to {WCF_DECIMALS}, volumes to {self.volume_decimals} decimals of "
            f"m³, masses to {self.mass_decimals} decimals of t, halves rounded away from zero"
        )

    def as_dict(self) -> dict[str, Any]:
        """The policy as plain data, with its method line and factor decimals."""
        return {**asdict(self), "factor_decimals": self.factor_decimals, "method": self.method()}

    # -- application ---------------------------------------------------------------------------------

    def correction_factors(
        self,
        base_density_kgm3: ArrayLike,
        temperature_c: ArrayLike,
        pressure_kpa: ArrayLike,
        commodity: str = "refined",
    ) -> CorrectionFactors:
        """CTL, CPL and CTPL from observed conditions to this policy's base, by this policy's edition.

        Parameters
        ----------
        base_density_kgm3 : array_like
            Density at the policy's base [kg/m³].
        temperature_c : array_like
            Observed temperature [°C].
        pressure_kpa : array_like
            Observed gauge pressure [kPa] (negative taken as 0).
        commodity : str, default ``"refined"``
            ``"refined"`` (group by density), ``"crude"``, ``"lube"``; for 2004 also a single refined
            group name.

        Returns
        -------
        CorrectionFactors
            Factors rounded per this policy, and the group used.

        Raises
        ------
        volume_correction.OutsideStandardLimits, vcf_1980.OutsideTableRange
            An input outside the edition's range (never extrapolated).
        ValueError
            Unknown commodity.

        References
        ----------
        .. [1] API MPMS 11.1-2004 §11.1.6.1 and §11.1.7; ASTM D1250-80 Tables 54A/54B/54D.
        """
        decimals = self.factor_decimals
        if self.edition == "2004":
            result = volume_correction.ctpl_at_base(
                base_density_kgm3, temperature_c, pressure_kpa, self.base, commodity, rounded=False
            )
            ctl, cpl = result.ctl, result.cpl
            group, table = result.group, None
        else:
            table = vcf_1980.table_for_commodity(commodity)
            tabled = vcf_1980.vcf_table_54(base_density_kgm3, temperature_c, table, rounded=False)
            ctl, group = tabled.vcf, tabled.group
            pressure = np.maximum(np.asarray(pressure_kpa, dtype=np.float64), 0.0)
            if np.any(pressure > 0):
                cpl = volume_correction.ctpl_at_base(
                    base_density_kgm3, temperature_c, pressure, "15C", commodity, rounded=False
                ).cpl
            else:
                cpl = np.ones_like(pressure) if pressure.ndim else np.float64(1.0)
        ctpl = np.asarray(ctl) * np.asarray(cpl)
        return CorrectionFactors(
            ctl=self._round(ctl, decimals),
            cpl=self._round(cpl, decimals),
            ctpl=self._round(ctpl, decimals),
            group=group,
            table=table,
            decimals=decimals,
        )

    def density_at_15c(self, base_density_kgm3: ArrayLike, commodity: str = "refined") -> NDArray[np.float64] | np.float64:
        """The density at 15 °C equivalent to a base density, unrounded [kg/m³] (for Table 56).

        For a 15 °C base the density is returned as given; otherwise it is moved to 60 °F
        (§11.1.7) and from there to 15 °C with the 60 °F CTL at 59 °F.
        """
        rho = np.asarray(base_density_kgm3, dtype=np.float64)
        if self.base == "15C":
            return rho if rho.ndim else np.float64(rho)
        rho60 = volume_correction.density_60f_from_base(rho, self.base, commodity)
        return rho60 * volume_correction.ctpl_60f(rho60, 59.0, 0.0, commodity, rounded=False).ctl


@dataclass(frozen=True)
class CorrectionFactors:
    """CTL, CPL, CTPL (rounded per the policy), the commodity group and, for 1980, the table used."""

    ctl: NDArray[np.float64] | np.float64
    cpl: NDArray[np.float64] | np.float64
    ctpl: NDArray[np.float64] | np.float64
    group: Any
    table: str | None
    decimals: int | None

    def group_label(self) -> str:
        """``jet_fuels`` (2004) or ``jet_fuels (Table 54B)`` (1980), for a scalar result."""
        return str(self.group) if self.table is None else f"{self.group} (Table {self.table})"


@dataclass(frozen=True)
class Figure:
    """One figure of a ticket: its value, unit and the decimals it was rounded to (None: unrounded)."""

    key: str
    label: str
    value: float
    unit: str
    decimals: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": float(self.value), "unit": self.unit, "decimals": self.decimals}



@dataclass(frozen=True)
class Ticket:
    """A computed ticket: the policy it applied, the commodity group, every figure in order, and flags.

    Attributes
    ----------
    kind : str
        ``"meter"``, ``"coriolis"`` or ``"tank"``.
    policy : MeasurementPolicy
    commodity : str
        The commodity family the caller named (``refined``, ``crude``, ``lube`` …).
    group : str
        The group (and, for 1980, the table) the correction factors came from.
    figures : tuple of Figure
        Inputs and results in the order of the calculation.
    flags : tuple of str
        Findings a person must look at (e.g. a failed density cross-check).
    """

    kind: str
    policy: MeasurementPolicy
    commodity: str
    group: str
    figures: tuple[Figure, ...]
    flags: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> float:
        """The value of the figure ``key``."""
        for figure in self.figures:
            if figure.key == key:
                return figure.value
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "policy": self.policy.as_dict(),
            "commodity": self.commodity,
            "group": self.group,
            "figures": {f.key: f.as_dict() for f in self.figures},
            "flags": list(self.flags),
        }


class FigureList:
    """Collects a ticket's figures, rounding each as the policy says for its kind."""

    def __init__(self, policy: MeasurementPolicy) -> None:
        self.policy = policy
        self.figures: list[Figure] = []

    def add(self, key: str, label: str, value: ArrayLike, unit: str, kind: str) -> float:
        """Round ``value`` per the policy for ``kind`` (``unrounded`` keeps it as computed or given), record it, return it."""
        decimals = self.policy.decimals_for(kind)
        rounded = float(self.policy.round(value, kind))
        self.figures.append(Figure(key, label, rounded, unit, decimals))
        return rounded


def sediment_and_water_factor(sediment_water_percent: float) -> float:
    """CSW = 1 − S&W/100, the correction for sediment and water [-] (API MPMS 12.2.1 §12.2.5.5).

    Raises
    ------
    ValueError
        S&W outside 0 ≤ S&W < 100 %.
    """
    sw = float(sediment_water_percent)
    if not 0.0 <= sw < 100.0:
        raise ValueError(f"sediment and water {sw!r} % is outside 0 … <100 %")
    return 1.0 - sw / 100.0


__all__ = [
    "BASES",
    "EDITIONS",
    "METER_FACTOR_DECIMALS",
    "READING_DECIMALS",
    "ROUNDINGS",
    "SHELL_FACTOR_DECIMALS",
    "UNROUNDED_SHOWN_EXTRA_DECIMALS",
    "WCF_DECIMALS",
    "CorrectionFactors",
    "Edition",
    "Figure",
    "FigureList",
    "MeasurementPolicy",
    "Rounding",
    "Ticket",
    "sediment_and_water_factor",
]
