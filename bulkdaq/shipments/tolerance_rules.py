"""Tolerance rules: versioned configuration of which figures are compared and within what limit.

A rule file (TOML, see examples/tolerances.toml and docs/shipments.md) names a rule set with a version
and a source, the methods' expanded uncertainties (``[uncertainty_pct]``; ``[unpropagated_uncertainty_pct]``
for the part a figure's own uncertainty does not cover, see `applied_uncertainty_pct`), the precheck
limits, and one rule per comparison:

    [[rules]]
    name = "meters-vs-shore-tanks"
    compare = ["meters", "shore_tanks"]      # first − second, in % of the second
    limit_pct = 0.3                          # or limit_permille = 5
    band = "fixed"                           # fixed | uncertainty | wider (of fixed and RSS)
    sense = "both"                           # both | short (only a shortfall counts)
    source = "…"

``compare`` takes a method (meters, shore_tanks, ship_figure, draft_survey, belt_scale) on each side,
``"any"`` as the first (every figure present) and ``"declared"`` as the second. A rule written for a
specific pair wins over an ``"any"`` rule for the same pair.

`reconcile` applies a rule set to a shipment's figures (the maths is in calculators/reconciliation.py)
and every comparison keeps the rule it applied: name, limit, band, sense, source, rule-set version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.config.validation import problems_error, read_toml, validated
from bulkdaq.shipments.model import METHODS
from calculators.reconciliation import applicable_limit_pct, compare_pair, overall_verdict

ANY = "any"
DECLARED = "declared"
Text = Annotated[str, Field(min_length=1, max_length=500)]
Percent = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


class RuleSetInfo(StrictModel):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    version: Annotated[str, Field(min_length=1)]
    source: Text


class PrecheckLimits(StrictModel):
    max_data_gap_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Rule(StrictModel):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    compare: tuple[Literal["any", "meters", "shore_tanks", "ship_figure", "draft_survey", "belt_scale"],
                   Literal["declared", "meters", "shore_tanks", "ship_figure", "draft_survey", "belt_scale"]]
    limit_pct: Percent | None = None
    limit_permille: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None
    band: Literal["fixed", "uncertainty", "wider"]
    sense: Literal["both", "short"] = "both"
    source: Text

    @model_validator(mode="after")
    def _one_limit(self) -> Rule:
        given = [k for k in ("limit_pct", "limit_permille") if getattr(self, k) is not None]
        if self.band in ("fixed", "wider") and len(given) != 1:
            raise ValueError(f"band {self.band!r} needs exactly one of limit_pct or limit_permille (got {', '.join(given) or 'neither'})")
        if self.band == "uncertainty" and given:
            raise ValueError(f"band 'uncertainty' takes its limit from the methods' uncertainties; remove {given[0]}")
        if self.compare[0] == self.compare[1]:
            raise ValueError(f"compares {self.compare[0]!r} with itself")
        return self

    @property
    def fixed_limit_pct(self) -> float | None:
        if self.limit_pct is not None:
            return self.limit_pct
        return None if self.limit_permille is None else self.limit_permille / 10.0

    def limit_text(self) -> str:
        if self.limit_permille is not None:
            return f"{self.limit_permille:g} ‰"
        return "—" if self.limit_pct is None else f"{self.limit_pct:g} %"


MethodName = Literal["meters", "shore_tanks", "ship_figure", "draft_survey", "belt_scale"]


class RuleSetFile(StrictModel):
    rule_set: RuleSetInfo
    precheck: PrecheckLimits
    uncertainty_pct: dict[MethodName, Percent] = {}
    unpropagated_uncertainty_pct: dict[MethodName, Percent] = {}
    rules: Annotated[list[Rule], Field(min_length=1)]


@dataclass(frozen=True)
class RuleSet:
    path: Path
    name: str
    version: str
    source: str
    max_data_gap_s: float
    uncertainty_pct: dict[str, float]
    rules: tuple[Rule, ...]
    unpropagated_uncertainty_pct: dict[str, float] = field(default_factory=dict)

    def as_document(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "source": self.source, "max_data_gap_s": self.max_data_gap_s,
            "uncertainty_pct": dict(self.uncertainty_pct), "unpropagated_uncertainty_pct": dict(self.unpropagated_uncertainty_pct),
            "rules": [r.model_dump(mode="json") for r in self.rules],
        }


def applied_uncertainty_pct(method: str, own_pct: float | None, rule_set: Mapping[str, Any]) -> float | None:
    """The expanded uncertainty (k = 2) [%] a method's figure is compared with.

    A figure without its own is given the rule set's ``uncertainty_pct`` for its method. A figure that
    carries its own (a draft survey from observed marks: the marks and the dock density propagated by
    the GUM) covers only what was propagated; the rest of the method (deductibles, hydrostatic tables,
    hydrometer calibration) is the rule set's ``unpropagated_uncertainty_pct``, combined by root sum of
    squares (uncorrelated, JCGM 100 5.1.2). Without that entry the figure is never compared with less
    than the rule set's default: max(own, default).

    `rule_set` is the rule set document (``RuleSet.as_document()``, as the reconciliation records it).
    """
    default = rule_set.get("uncertainty_pct", {}).get(method)
    if own_pct is None:
        return default
    rest = rule_set.get("unpropagated_uncertainty_pct", {}).get(method)
    if rest is not None:
        return math.hypot(own_pct, rest)
    return own_pct if default is None else max(own_pct, default)


def load_rule_set(path: str | Path) -> RuleSet:
    """Read and validate a tolerance rule file.

    Raises
    ------
    InputError
        Naming the file, the key path (``rules[2].limit_pct``, ``uncertainty_pct.belt_scale``) and what
        was expected; every problem of the file is listed.
    """
    path = Path(path)
    parsed = validated(RuleSetFile, read_toml(path), path, docs="docs/shipments.md")
    problems = []
    names: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for i, rule in enumerate(parsed.rules):
        if rule.name in names:
            problems.append((f"rules[{i}].name", f"rule name {rule.name!r} is already used by rules[{names[rule.name]}]"))
        names.setdefault(rule.name, i)
        if rule.compare in pairs:
            problems.append((f"rules[{i}].compare", f"{list(rule.compare)} is already compared by rules[{pairs[rule.compare]}]"))
        pairs.setdefault(rule.compare, i)
        if rule.band in ("uncertainty", "wider"):
            sides: list[str] = [m for m in rule.compare if m not in (DECLARED,)]
            sides = list(METHODS) if ANY in sides else sides
            missing = [m for m in sides if m not in parsed.uncertainty_pct]
            if DECLARED in rule.compare:
                problems.append((f"rules[{i}].band", f"band {rule.band!r} needs both figures' uncertainties; a declared quantity has none (use 'fixed')"))
            elif missing:
                problems.append((f"rules[{i}].band", f"band {rule.band!r} needs uncertainty_pct.{missing[0]} (the method's expanded uncertainty, k = 2)"))
    if problems:
        raise problems_error(path, problems)
    info = parsed.rule_set
    uncertainty_pct: dict[str, float] = dict(parsed.uncertainty_pct.items())
    unpropagated: dict[str, float] = dict(parsed.unpropagated_uncertainty_pct.items())
    return RuleSet(path, info.name, info.version, info.source, parsed.precheck.max_data_gap_s, uncertainty_pct, tuple(parsed.rules), unpropagated)


@dataclass(frozen=True)
class AppliedRule:
    """The rule a verdict rests on, as stored with it."""

    rule_set: str
    version: str
    name: str
    value: str  # as configured: "0.3 %", "5 ‰", or "RSS" for a pure uncertainty band
    band: str
    sense: str
    source: str
    limit_pct: float
    uncertainty_pct: tuple[float, float] | None = None


@dataclass(frozen=True)
class Comparison:
    first: str
    second: str
    first_value: float
    second_value: float
    difference: float
    difference_pct: float
    within: bool
    rule: AppliedRule

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rule": asdict(self.rule)}


@dataclass(frozen=True)
class Reconciliation:
    verdict: str  # "verified" or "discrepancy"
    comparisons: tuple[Comparison, ...]
    not_compared: tuple[tuple[str, str, str], ...] = field(default=())  # (first, second, why)
    rule_set: str = ""
    version: str = ""

    def primary(self, method: str) -> Comparison | None:
        """The comparison of `method` against the declared quantity, if one was made."""
        return next((c for c in self.comparisons if c.first == method and c.second == DECLARED), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "rule_set": self.rule_set,
            "version": self.version,
            "comparisons": [c.as_dict() for c in self.comparisons],
            "not_compared": [list(n) for n in self.not_compared],
        }


def reconcile(
    figures: dict[str, float],
    declared: float,
    rule_set: RuleSet,
    methods: list[str] | None = None,
    figure_uncertainties_pct: Mapping[str, float] | None = None,
) -> Reconciliation:
    """Compare every pair of figures that a rule of `rule_set` names, and give the overall verdict.

    Parameters
    ----------
    figures : dict
        Method → figure in the declared basis [t or m³].
    declared : float
        The declared quantity, same basis.
    rule_set : RuleSet
    methods : list of str, optional
        The shipment's methods: rules about other methods do not concern it and are skipped. Default:
        the methods of `figures`.
    figure_uncertainties_pct : dict, optional
        Method → the figure's own expanded uncertainty (k = 2) [%], evaluated with the figure (a draft
        survey from observed marks); combined with the rest of the method's by
        :func:`applied_uncertainty_pct`.

    Returns
    -------
    Reconciliation
        Every comparison with its applied rule; pairs a rule names but whose figure is missing are listed
        as not compared; verdict ``verified`` only if every comparison is within.

    Raises
    ------
    calculators.reconciliation.InvalidReconciliationInput
        No rule matched any pair of the figures present.
    """
    values = {**figures, DECLARED: declared}
    used = set(methods if methods is not None else figures) | {DECLARED, ANY}
    specific = {rule.compare for rule in rule_set.rules if rule.compare[0] != ANY}
    comparisons: list[Comparison] = []
    not_compared: list[tuple[str, str, str]] = []
    own, document = figure_uncertainties_pct or {}, rule_set.as_document()
    for rule in rule_set.rules:
        first, second = rule.compare
        if first not in used or second not in used:
            continue
        candidates = list(methods) if methods is not None else list(figures)
        firsts = [m for m in candidates if (m, second) not in specific and m != second] if first == ANY else [first]
        for method in firsts:
            missing = [m for m in (method, second) if m not in values]
            if missing:
                not_compared.append((method, second, f"no {missing[0]} figure (rule {rule.name})"))
                continue
            uncertainties = None
            if rule.band != "fixed":
                first_u = applied_uncertainty_pct(method, own.get(method), document)
                second_u = applied_uncertainty_pct(second, own.get(second), document)
                assert first_u is not None and second_u is not None  # load_rule_set checked both are given
                uncertainties = (first_u, second_u)
            limit = float(applicable_limit_pct(rule.band, rule.fixed_limit_pct, *(uncertainties or (None, None))))
            result = compare_pair(values[method], values[second], limit, rule.sense)
            applied = AppliedRule(
                rule_set.name, rule_set.version, rule.name, rule.limit_text() if rule.band != "uncertainty" else "RSS",
                rule.band, rule.sense, rule.source, limit, uncertainties,
            )
            comparisons.append(Comparison(method, second, result.first, result.second, result.difference, result.difference_pct, result.within, applied))
    verdict = overall_verdict([c.within for c in comparisons])
    return Reconciliation(verdict, tuple(comparisons), tuple(not_compared), rule_set.name, rule_set.version)


__all__ = ["AppliedRule", "applied_uncertainty_pct", "Comparison", "Reconciliation", "Rule", "RuleSet", "load_rule_set", "reconcile"]
