"""Ticket files: read and validate the JSON inputs of `bulkdaq ticket meter|coriolis|tank`, compute the ticket.

The formats are documented field by field in docs/tickets.md, with an example of each in
examples/tickets/. Every measured value is an object ``{"value": …, "unit": …}`` so that a unit is never
assumed. Every problem is raised as :class:`bulkdaq.errors.InputError` naming the file, the key
path (``base_density.unit``, ``strapping_table.rows[3]``) and what was expected: a missing key, an
unknown key, a wrong unit, a value outside the standard's range or the group's density range, a
closing totalizer below the opening one, a value outside its physical range (docs/tickets.md, "Physical
ranges": a meter factor far from 1, a totalizer beyond what a float keeps to its unit, a pressure below
vacuum, …), so every figure a ticket prints, and its JSON, is a finite number.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.config.validation import problems_error, pydantic_problems
from bulkdaq.errors import InputError
from calculators.petroleum import volume_correction
from calculators.petroleum.coriolis_ticket import coriolis_ticket
from calculators.petroleum.measurement_policy import MeasurementPolicy, Ticket
from calculators.petroleum.meter_ticket import flow_weighted_average, meter_ticket
from calculators.petroleum.strapping_table import InvalidStrappingTable, OutsideStrappingTable, StrappingTable
from calculators.petroleum.tank_ticket import FloatingRoof, ShellCorrection, tank_ticket
from calculators.petroleum.weight_in_air import DensityNotPhysical
from calculators.quantity_error import QuantityError
from calculators.totalizer import TotalizerWentBackwards

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A JSON number (an integer is accepted); never a string, never NaN or infinity."""

# Physical ranges (docs/tickets.md, "Physical ranges"). What the calculators check against their standard
# (base density, liquid temperature, line pressure, S&W) is checked there; these are the rest.
MAX_TOTALIZER = 1e15
"""Largest totalizer reading or roll-over value, in the file's unit: above it a float64 no longer resolves
1/8 of the unit, and no register of a bulk terminal's meter reaches it (1e15 kg is a billion tonnes)."""
METER_FACTOR_RANGE = (0.8, 1.2)
"""A meter factor is prover volume / indicated volume (API MPMS 12.2), a ratio within a few tenths of a
percent of 1 for a meter fit for custody transfer; outside 0.8 … 1.2 it is not a meter factor but a slip
(a K-factor, a percentage), and is refused."""
TEMPERATURE_RANGE_C = (-50.0, 150.0)
"""The temperatures of API MPMS 11.1-2004 (−58 … 302 °F), also for the shell and ambient temperatures."""
VACUUM_KPA = -101.325
"""No gauge pressure lies below a full vacuum (−101.325 kPa, −1.01325 bar, −14.696 psi)."""
MAX_PRESSURE_KPA = 10_342.0
"""API MPMS 11.1-2004's highest pressure, 1500 psig (also for each flow sample)."""
LINE_DENSITY_RANGE_KGM3 = (400.0, 1300.0)
"""A liquid hydrocarbon at line conditions within API MPMS 11.1's limits; outside: a unit slip (t/m³, lb/ft³)."""
MAX_DENSITY_BAND_KGM3 = 100.0
"""A wider density check band checks nothing."""
MAX_TANK_LEVEL_M = 100.0
"""No shore tank is taller; a level in mm written as m is refused."""
MAX_TANK_VOLUME_M3 = 1e7
"""Ten million m³: above the largest tank; a volume in L written as m³ is refused."""
MAX_ROOF_MASS_KG = 1e7
"""Ten thousand tonnes: no floating roof weighs as much; a mass in g written as kg is refused."""


def _within(low: float, high: float, unit: str, why: str) -> AfterValidator:
    suffix = f" {unit}" if unit else ""

    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"{value:g}{suffix} is outside {low:g} … {high:g}{suffix}, {why}")
        return value

    return AfterValidator(check)


TotalizerReading = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0), _within(0, MAX_TOTALIZER, "", "the range a totalizer reading is kept to (docs/tickets.md, \"Physical ranges\")")]
MeterFactor = Annotated[
    float,
    Field(strict=True, allow_inf_nan=False, gt=0),
    _within(*METER_FACTOR_RANGE, "", "a meter factor is a ratio near 1 (API MPMS 12.2); check for a K-factor or a percentage"),
]


class Temperature(StrictModel):
    value: Number
    unit: Literal["C", "F"]

    def celsius(self) -> float:
        return self.value if self.unit == "C" else float(volume_correction.celsius_from_fahrenheit(self.value))


_KPA_PER = {"kPa": 1.0, "bar": 100.0, "psi": 1.0 / volume_correction.PSI_PER_KPA}


class Pressure(StrictModel):
    """Gauge pressure."""

    unit: Literal["kPa", "bar", "psi"]  # before the value, which is checked in its unit
    value: Number

    def kpa(self) -> float:
        return self.value * _KPA_PER[self.unit]

    @field_validator("value")
    @classmethod
    def _not_below_vacuum(cls, value: float, info: ValidationInfo) -> float:
        unit = info.data.get("unit")
        problem = None if unit is None else pressure_problem(value * _KPA_PER[unit], value, unit)
        if problem:
            raise ValueError(problem)
        return value


def pressure_problem(kpa: float, value: float, unit: str) -> str | None:
    """Why a gauge pressure of `kpa` [kPa] (written `value` `unit`) cannot be, or None."""
    if kpa < VACUUM_KPA - 1e-9:
        return f"gauge pressure {value:g} {unit} is below a full vacuum ({VACUUM_KPA:g} kPa gauge); check the sign and the unit"
    return None


def temperature_problem(celsius: float, value: float, unit: str) -> str | None:
    """Why a temperature of `celsius` [°C] (written `value` `unit`) is outside `TEMPERATURE_RANGE_C`, or None."""
    low, high = TEMPERATURE_RANGE_C
    if not low <= celsius <= high:
        return f"temperature {value:g} {unit} is outside {low:g} … {high:g} °C (−58 … 302 °F), the range of API MPMS 11.1-2004"
    return None


class Density(StrictModel):
    value: Number
    unit: Literal["kg/m3", "api", "rd"]

    def kgm3(self) -> float:
        if self.unit == "api":
            return float(volume_correction.density_from_api(self.value))
        if self.unit == "rd":
            return float(volume_correction.density_from_relative_density(self.value))
        return self.value


class DensityDifference(StrictModel):
    value: Annotated[
        float, Field(strict=True, allow_inf_nan=False, gt=0), _within(0, MAX_DENSITY_BAND_KGM3, "kg/m³", "a wider band checks nothing")
    ]
    unit: Literal["kg/m3"]


class Level(StrictModel):
    value: Number
    unit: Literal["m", "mm"]

    def metres(self) -> float:
        return self.value / 1000.0 if self.unit == "mm" else self.value


class Volume(StrictModel):
    value: Number
    unit: Literal["m3", "L"]

    def m3(self) -> float:
        return self.value / 1000.0 if self.unit == "L" else self.value


class Policy(StrictModel):
    edition: Literal["2004", "1980"]
    base: Literal["15C", "20C", "60F"]
    rounding: Literal["standard", "unrounded"]
    volume_decimals: Annotated[int, Field(strict=True, ge=0, le=9)] = 3
    mass_decimals: Annotated[int, Field(strict=True, ge=0, le=9)] = 3

    @model_validator(mode="after")
    def _1980_is_15c(self) -> Policy:
        if self.edition == "1980" and self.base != "15C":
            raise ValueError(f"edition 1980 (ASTM D1250-1980 Tables 54A/54B/54D) is defined at 15C only, not {self.base}")
        return self


SedimentWater = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, lt=100)]
Commodity = Literal["refined", "crude", "lube"]


class _Totalizer(StrictModel):
    """Opening and closing readings of a totalizer in `unit` (narrowed by each kind), and where it wraps."""

    unit: str
    opening: TotalizerReading
    closing: TotalizerReading
    rollover_at: Annotated[
        float, Field(strict=True, allow_inf_nan=False, gt=0), _within(0, MAX_TOTALIZER, "", "the range a totalizer is kept to")
    ] | None = None

    @model_validator(mode="after")
    def _below_rollover(self) -> _Totalizer:
        if self.rollover_at is not None:
            for name in ("opening", "closing"):
                value = getattr(self, name)
                if value >= self.rollover_at:
                    raise ValueError(
                        f"{name} {value:g} is not below rollover_at {self.rollover_at:g}: the register wraps to 0 there, so it never shows it"
                    )
        return self


class VolumeTotalizer(_Totalizer):
    unit: Literal["m3", "L"]

    def factor_to_m3(self) -> float:
        return 0.001 if self.unit == "L" else 1.0


class MassTotalizer(_Totalizer):
    unit: Literal["kg", "t"]

    def factor_to_kg(self) -> float:
        return 1000.0 if self.unit == "t" else 1.0


class FlowSamples(StrictModel):
    """Per-interval quantity, temperature and pressure, for flow-weighted averages."""

    quantity_unit: Literal["m3", "L", "kg", "t"]
    temperature_unit: Literal["C", "F"]
    pressure_unit: Literal["kPa", "bar", "psi"]
    rows: Annotated[list[tuple[Number, Number, Number]], Field(min_length=1)]


class MeterFile(StrictModel):
    ticket: Literal["meter"]
    meter: str | None = None
    batch: str | None = None
    policy: Policy
    commodity: Commodity
    totalizer: VolumeTotalizer
    meter_factor: MeterFactor
    base_density: Density
    temperature: Temperature | None = None
    pressure: Pressure | None = None
    flow_samples: FlowSamples | None = None
    sediment_water_percent: SedimentWater

    @model_validator(mode="after")
    def _conditions(self) -> MeterFile:
        averaged = self.temperature is not None or self.pressure is not None
        if self.flow_samples is not None and averaged:
            raise ValueError("give either temperature and pressure (flow-weighted averages) or flow_samples, not both")
        if self.flow_samples is None and (self.temperature is None or self.pressure is None):
            raise ValueError("give temperature and pressure (flow-weighted averages), or flow_samples")
        return self


class LineConditions(StrictModel):
    density: Density
    temperature: Temperature
    pressure: Pressure


class CoriolisFile(StrictModel):
    ticket: Literal["coriolis"]
    meter: str | None = None
    batch: str | None = None
    policy: Policy
    commodity: Commodity
    mass_totalizer: MassTotalizer
    mass_meter_factor: MeterFactor
    base_density: Density
    line: LineConditions
    density_check_band: DensityDifference
    sediment_water_percent: SedimentWater


class StrappingRows(StrictModel):
    level_unit: Literal["m", "mm"]
    volume_unit: Literal["m3", "L"]
    rows: Annotated[list[tuple[Number, Number]], Field(min_length=2)]


class FreeWater(StrictModel):
    level: Level | None = None
    volume: Volume | None = None

    @model_validator(mode="after")
    def _one(self) -> FreeWater:
        if (self.level is None) == (self.volume is None):
            raise ValueError("give exactly one of level (read through the strapping table) or volume")
        return self


class Shell(StrictModel):
    insulated: bool
    table_base_temperature: Temperature
    # per °C: mild steel 1.12e-5, stainless steel 1.73e-5, aluminium 2.3e-5 (API MPMS 12.1.1)
    expansion_coefficient_per_c: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=1e-6, le=1e-4)]
    ambient_temperature: Temperature | None = None

    @model_validator(mode="after")
    def _ambient(self) -> Shell:
        if not self.insulated and self.ambient_temperature is None:
            raise ValueError("an uninsulated tank needs ambient_temperature for its shell temperature")
        return self


class Roof(StrictModel):
    mass_kg: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0), _within(0, MAX_ROOF_MASS_KG, "kg", "more than any floating roof weighs")]
    table_includes_roof: bool


class TankFile(StrictModel):
    ticket: Literal["tank"]
    tank: str | None = None
    batch: str | None = None
    policy: Policy
    commodity: Commodity
    strapping_table: StrappingRows | None = None
    innage: Level | None = None
    total_observed_volume: Volume | None = None
    free_water: FreeWater
    liquid_temperature: Temperature
    base_density: Density
    sediment_water_percent: SedimentWater
    shell: Shell | Literal["none"]
    floating_roof: Roof | None

    @model_validator(mode="after")
    def _gauge(self) -> TankFile:
        if (self.innage is None) == (self.total_observed_volume is None):
            raise ValueError("give exactly one of innage (with strapping_table) or total_observed_volume")
        needs_table = self.innage is not None or self.free_water.level is not None
        if needs_table and self.strapping_table is None:
            raise ValueError("strapping_table is required to read a level (innage or free_water.level)")
        return self


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------


def _union_problems(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Fold the alternatives of a union (``shell``: an object or "none") into one problem per key.

    An error inside one alternative (``shell.insulated`` missing) makes the other alternative's error at
    the parent key (``shell`` is not "none") noise: drop it. Errors at the same key are alternatives:
    join them with "or".
    """
    fields = [field for field, _ in problems]
    kept = [
        (field, problem)
        for field, problem in problems
        if not any(other.startswith(field + ".") or other.startswith(field + "[") for other in fields)
    ]
    merged: dict[str, list[str]] = {}
    for field, problem in kept:
        merged.setdefault(field, []).append(problem)
    return [(field, " or ".join(alternatives)) for field, alternatives in merged.items()]


def _read(path: Path, model: type[BaseModel]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "(file)", "no such file") from None
    except UnicodeDecodeError as error:
        raise InputError(path, "(file)", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise InputError(path, "(file)", f"cannot read the file: {error.strerror or error}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, "(syntax)", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(raw, dict):
        raise InputError(path, "(top level)", f"expected a JSON object, got {type(raw).__name__}")
    kind = model.model_fields["ticket"].annotation.__args__[0]  # type: ignore[union-attr]
    if raw.get("ticket") != kind:
        raise InputError(path, "ticket", f"expected \"{kind}\" for `bulkdaq ticket {kind}`, got {raw.get('ticket')!r}")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = pydantic_problems(error, "docs/tickets.md", missing_names_docs=True)
        raise problems_error(path, _union_problems(problems), one_line=True) from None


def _policy(path: Path, policy: Policy, density: Density) -> MeasurementPolicy:
    if density.unit in {"api", "rd"} and policy.base != "60F":
        raise InputError(
            path,
            "base_density.unit",
            f"{density.unit!r} is a 60 °F quantity; with base {policy.base} give the density in kg/m3 at {policy.base}",
        )
    return MeasurementPolicy(**policy.model_dump())


def _computed(path: Path, fields: dict[str, str], compute: Callable[[], Ticket]) -> Ticket:
    """Run a calculator, turning its range errors into InputError on the field they came from."""
    try:
        return compute()
    except TotalizerWentBackwards as error:
        raise InputError(path, fields["closing"], str(error)) from None
    except QuantityError as error:  # out of a standard's range, off a table, or not a measurement
        quantity = "density" if error.quantity == "alpha60" else error.quantity
        raise InputError(path, fields.get(quantity, quantity), str(error)) from None
    except DensityNotPhysical as error:
        raise InputError(path, fields["density"], str(error)) from None
    except volume_correction.DidNotConverge as error:
        raise InputError(path, fields["density"], str(error)) from None


def meter_ticket_from_file(path: str | Path) -> Ticket:
    """Read a meter ticket file (docs/tickets.md, "Meter ticket") and compute the ticket.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected.
    """
    path = Path(path)
    data: MeterFile = _read(path, MeterFile)
    policy = _policy(path, data.policy, data.base_density)
    to_m3 = data.totalizer.factor_to_m3()
    fields = {
        "closing": "totalizer.closing",
        "density": "base_density.value",
        "temperature": "temperature.value",
        "pressure": "pressure.value",
        "meter_factor": "meter_factor",
        "base_density_kgm3": "base_density.value",
    }
    if data.flow_samples is not None:
        samples = data.flow_samples
        quantities = [row[0] for row in samples.rows]
        temps = [Temperature(value=row[1], unit=samples.temperature_unit).celsius() for row in samples.rows]
        pressures = [row[2] * _KPA_PER[samples.pressure_unit] for row in samples.rows]
        for i, row in enumerate(samples.rows):
            # each sample, not only the average: one impossible sample would hide in a flow-weighted mean
            problem = (
                (f"quantity {row[0]:g} {samples.quantity_unit} is above {MAX_TOTALIZER:g}" if row[0] > MAX_TOTALIZER else None)
                or temperature_problem(temps[i], row[1], samples.temperature_unit)
                or pressure_problem(pressures[i], row[2], samples.pressure_unit)
                or (f"pressure {row[2]:g} {samples.pressure_unit} is above {MAX_PRESSURE_KPA:g} kPa, the range of API MPMS 11.1-2004"
                    if pressures[i] > MAX_PRESSURE_KPA else None)
            )
            if problem:
                raise InputError(path, f"flow_samples.rows[{i}]", problem)
        try:
            temperature_c = flow_weighted_average(temps, quantities)
            pressure_kpa = flow_weighted_average(pressures, quantities)
        except ValueError as error:
            raise InputError(path, "flow_samples.rows", str(error)) from None
        fields.update(temperature="flow_samples.rows", pressure="flow_samples.rows")
    else:
        assert data.temperature is not None and data.pressure is not None
        temperature_c, pressure_kpa = data.temperature.celsius(), data.pressure.kpa()
    rollover = data.totalizer.rollover_at
    return _computed(
        path,
        fields,
        lambda: meter_ticket(
            policy,
            opening_m3=data.totalizer.opening * to_m3,
            closing_m3=data.totalizer.closing * to_m3,
            meter_factor=data.meter_factor,
            temperature_c=temperature_c,
            pressure_kpa=pressure_kpa,
            base_density_kgm3=data.base_density.kgm3(),
            sediment_water_percent=data.sediment_water_percent,
            commodity=data.commodity,
            rollover_at_m3=None if rollover is None else rollover * to_m3,
        ),
    )


def coriolis_ticket_from_file(path: str | Path) -> Ticket:
    """Read a Coriolis ticket file (docs/tickets.md, "Coriolis mass ticket") and compute the ticket.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected.
    """
    path = Path(path)
    data: CoriolisFile = _read(path, CoriolisFile)
    policy = _policy(path, data.policy, data.base_density)
    if data.line.density.unit != "kg/m3":
        raise InputError(path, "line.density.unit", f"the meter's line density must be in kg/m3, got {data.line.density.unit!r}")
    low, high = LINE_DENSITY_RANGE_KGM3
    if not low <= data.line.density.value <= high:
        raise InputError(
            path, "line.density.value",
            f"{data.line.density.value:g} kg/m³ is outside {low:g} … {high:g} kg/m³, the densities of liquid hydrocarbons at line "
            "conditions within API MPMS 11.1-2004; check the unit",
        )
    to_kg = data.mass_totalizer.factor_to_kg()
    rollover = data.mass_totalizer.rollover_at
    fields = {
        "closing": "mass_totalizer.closing",
        "density": "base_density.value",
        "temperature": "line.temperature.value",
        "pressure": "line.pressure.value",
        "mass_meter_factor": "mass_meter_factor",
        "base_density_kgm3": "base_density.value",
        "line_density_kgm3": "line.density.value",
        "density_band_kgm3": "density_check_band.value",
    }
    return _computed(
        path,
        fields,
        lambda: coriolis_ticket(
            policy,
            opening_kg=data.mass_totalizer.opening * to_kg,
            closing_kg=data.mass_totalizer.closing * to_kg,
            mass_meter_factor=data.mass_meter_factor,
            base_density_kgm3=data.base_density.kgm3(),
            line_density_kgm3=data.line.density.value,
            temperature_c=data.line.temperature.celsius(),
            pressure_kpa=data.line.pressure.kpa(),
            sediment_water_percent=data.sediment_water_percent,
            density_band_kgm3=data.density_check_band.value,
            commodity=data.commodity,
            rollover_at_kg=None if rollover is None else rollover * to_kg,
        ),
    )


def tank_ticket_from_file(path: str | Path) -> Ticket:
    """Read a shore tank ticket file (docs/tickets.md, "Shore tank ticket") and compute the ticket.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected.
    """
    path = Path(path)
    data: TankFile = _read(path, TankFile)
    policy = _policy(path, data.policy, data.base_density)
    table = None
    if data.strapping_table is not None:
        rows = data.strapping_table
        level_factor = 0.001 if rows.level_unit == "mm" else 1.0
        volume_factor = 0.001 if rows.volume_unit == "L" else 1.0
        for i, (level, volume) in enumerate(rows.rows):
            if not 0 <= level * level_factor <= MAX_TANK_LEVEL_M:
                raise InputError(path, f"strapping_table.rows[{i}]", f"level {level:g} {rows.level_unit} is outside 0 … {MAX_TANK_LEVEL_M:g} m; check level_unit")
            if not 0 <= volume * volume_factor <= MAX_TANK_VOLUME_M3:
                raise InputError(path, f"strapping_table.rows[{i}]", f"volume {volume:g} {rows.volume_unit} is outside 0 … {MAX_TANK_VOLUME_M3:g} m³; check volume_unit")
        try:
            table = StrappingTable([r[0] * level_factor for r in rows.rows], [r[1] * volume_factor for r in rows.rows])
        except InvalidStrappingTable as error:
            where = "strapping_table.rows" if error.row is None else f"strapping_table.rows[{error.row}]"
            raise InputError(path, where, str(error)) from None

    def read_level(level: Level, field: str) -> float:
        assert table is not None
        try:
            return float(table.volume_at(level.metres()))
        except OutsideStrappingTable as error:
            raise InputError(path, field, str(error)) from None

    if data.innage is not None:
        innage_m: float | None = data.innage.metres()
        tov = read_level(data.innage, "innage.value")
    else:
        assert data.total_observed_volume is not None
        innage_m, tov = None, data.total_observed_volume.m3()
    if data.free_water.level is not None:
        water_level_m: float | None = data.free_water.level.metres()
        free_water = read_level(data.free_water.level, "free_water.level.value")
    else:
        assert data.free_water.volume is not None
        water_level_m, free_water = None, data.free_water.volume.m3()
    for key, given in (("total_observed_volume.value", data.total_observed_volume), ("free_water.volume.value", data.free_water.volume)):
        if given is not None and given.m3() > MAX_TANK_VOLUME_M3:
            raise InputError(path, key, f"{given.value:g} {given.unit} is above {MAX_TANK_VOLUME_M3:g} m³, more than any tank holds; check the unit")
    shell = None
    if isinstance(data.shell, Shell):
        ambient = data.shell.ambient_temperature
        for key, temperature in (("shell.ambient_temperature.value", ambient), ("shell.table_base_temperature.value", data.shell.table_base_temperature)):
            problem = None if temperature is None else temperature_problem(temperature.celsius(), temperature.value, temperature.unit)
            if problem:
                raise InputError(path, key, problem)
        shell = ShellCorrection(
            insulated=data.shell.insulated,
            table_base_temperature_c=data.shell.table_base_temperature.celsius(),
            expansion_coefficient_per_c=data.shell.expansion_coefficient_per_c,
            ambient_temperature_c=None if ambient is None else ambient.celsius(),
        )
    roof = None if data.floating_roof is None else FloatingRoof(data.floating_roof.mass_kg, data.floating_roof.table_includes_roof)
    fields = {
        "density": "base_density.value",
        "temperature": "liquid_temperature.value",
        "base_density_kgm3": "base_density.value",
        "tov_m3": "innage.value" if data.innage is not None else "total_observed_volume.value",
        "free_water_m3": "free_water",
        "ambient_temperature_c": "shell.ambient_temperature",
        "roof_mass_kg": "floating_roof.mass_kg",
    }
    return _computed(
        path,
        fields,
        lambda: tank_ticket(
            policy,
            tov_m3=tov,
            free_water_m3=free_water,
            liquid_temperature_c=data.liquid_temperature.celsius(),
            base_density_kgm3=data.base_density.kgm3(),
            sediment_water_percent=data.sediment_water_percent,
            shell=shell,
            floating_roof=roof,
            commodity=data.commodity,
            innage_level_m=innage_m,
            free_water_level_m=water_level_m,
        ),
    )


TICKET_READERS: dict[str, Callable[[str | Path], Ticket]] = {
    "meter": meter_ticket_from_file,
    "coriolis": coriolis_ticket_from_file,
    "tank": tank_ticket_from_file,
}


__all__ = [
    "LINE_DENSITY_RANGE_KGM3",
    "MAX_DENSITY_BAND_KGM3",
    "MAX_PRESSURE_KPA",
    "MAX_ROOF_MASS_KG",
    "MAX_TANK_LEVEL_M",
    "MAX_TANK_VOLUME_M3",
    "MAX_TOTALIZER",
    "METER_FACTOR_RANGE",
    "TEMPERATURE_RANGE_C",
    "TICKET_READERS",
    "VACUUM_KPA",
    "Commodity",
    "CoriolisFile",
    "Density",
    "DensityDifference",
    "FlowSamples",
    "FreeWater",
    "Level",
    "LineConditions",
    "MassTotalizer",
    "MeterFile",
    "Number",
    "Policy",
    "Pressure",
    "Roof",
    "SedimentWater",
    "Shell",
    "StrappingRows",
    "TankFile",
    "Temperature",
    "Volume",
    "VolumeTotalizer",
    "coriolis_ticket_from_file",
    "meter_ticket_from_file",
    "tank_ticket_from_file",
]
