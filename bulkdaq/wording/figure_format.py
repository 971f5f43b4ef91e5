"""How every officer-facing figure is written: value, decimals from its policy, and unit. One path.

The measurement report for customs, the draft survey report, the CLI's ticket and survey tables and the
clearance board print figures through this module and nowhere else, so a figure never appears as raw
floating-point digits (``24.987708851042694``) and always with the decimals its method and policy give:

* petroleum tickets: :meth:`calculators.petroleum.measurement_policy.MeasurementPolicy.shown_decimals` (factors
  to the edition's decimals, volumes and masses to the policy's, readings to their resolution);
* the draft survey: :meth:`calculators.survey.rounding.RoundingPolicy.shown_decimals` (the survey's own
  rounding policy);
* quantities of a shipment in its declared basis: the shipment's metering policy
  (:func:`bulkdaq.shipments.model.quantity_decimals`);
* percentages of a reconciliation: ``PERCENT_DECIMALS``.

Rounding for printing is decimal, halves away from zero, on the shortest decimal that reads back as the
float (``repr``), so a stored 14987.519999999997 prints as 14,987.520 and a written half rounds as on
paper. A zero is never printed with a minus sign.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bulkdaq.wording.glossary import BASES

# Units as stored (machine keys in JSON and line protocol) → as printed.
UNIT_SYMBOLS: dict[str, str] = {
    "degC": "°C",
    "degF": "°F",
    "C": "°C",
    "F": "°F",
    "kg/m3": "kg/m³",
    "m3": "m³",
    "t/m3": "t/m³",
    "1/degC": "/°C",
    "m3/h": "m³/h",
    "-": "",
}

PERCENT_DECIMALS = 3
"""Differences and limits in % of a reconciliation: 0.001 % (under 1 t on a 100,000 t cargo, finer than
any tolerance in use)."""


def unit_symbol(unit: str) -> str:
    """The unit as printed (``m3`` → ``m³``, ``degC`` → ``°C``; ``-`` (dimensionless) → empty)."""
    return UNIT_SYMBOLS.get(unit, unit)


def _decimal(value: float | int | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a figure is a number, not a truth value")
    if isinstance(value, int):
        return Decimal(value)
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"a figure must be finite, got {number!r}")
    return Decimal(repr(number))


def number_text(value: float | int | Decimal, decimals: int, *, signed: bool = False, grouping: bool = True) -> str:
    """``value`` with exactly `decimals` decimals, halves away from zero, thousands grouped with ``,``.

    `signed` writes ``+`` before a positive value (differences). Never ``-0.000``.
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise ValueError(f"decimals must be a whole number ≥ 0, got {decimals!r}")
    rounded = _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
        signed = False  # a zero difference is written 0.000, without a sign
    spec = ("+" if signed else "") + ("," if grouping else "") + f".{decimals}f"
    return format(rounded, spec)


def figure_text(value: float | int | Decimal, unit: str, decimals: int, *, signed: bool = False, grouping: bool = True) -> str:
    """A figure with its unit: ``88,798.400 t``, ``24.99 °C``, ``0.98787`` (dimensionless: no unit)."""
    symbol = unit_symbol(unit)
    text = number_text(value, decimals, signed=signed, grouping=grouping)
    return f"{text} {symbol}" if symbol else text


def basis_text(value: float | int | Decimal, basis: str, decimals: int) -> str:
    """A quantity in a declared basis, the basis in words from the glossary: ``89,900.000 t in air``,
    ``4,000.000 m³ at 15 °C`` (never the machine key ``t_air``)."""
    return f"{number_text(value, decimals)} {BASES[basis][0]}"


def percent_text(value: float, *, signed: bool = False, decimals: int = PERCENT_DECIMALS) -> str:
    """A percentage: ``+1.234 %``."""
    return f"{number_text(value, decimals, signed=signed)} %"


__all__ = ["PERCENT_DECIMALS", "UNIT_SYMBOLS", "basis_text", "figure_text", "number_text", "percent_text", "unit_symbol"]
