"""The yard balance rule: a versioned TOML file naming how the yard's mass balance is judged.

::

    [rule_set]
    name = "yard-balance-example"
    version = "2026.1"
    source = "…"                 # who set it, which agreement or announcement it follows

    [balance]
    coverage_factor = 2.0        # k of U = k·u (JCGM 100:2008 6.2, 6.3)

Every verdict of bulkdaq/yard/yard_balance.py keeps the rule's name and version, as the shipments'
tolerance rules do (bulkdaq/shipments/tolerance_rules.py); change `version` whenever the rule changes.

Why there is no floor (no minimum U, no fixed tolerance in % of throughput): every term of the balance
carries the standard uncertainty of its own method (a draft survey's budget, a belt scale's OIML R 50
class, a stockpile survey's, a laboratory's moisture), so U is what the methods can tell apart (JCGM 100
5.1.2). A floor would hide a figure whose stated uncertainty is too small instead of correcting that
figure, and a difference smaller than a floor but larger than U would pass unflagged. Where customs agree a
wider band, raising the coverage factor is the one visible knob, and the rule's name and version go with
every verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from bulkdaq.config.strict_model import StrictTypedModel
from bulkdaq.config.validation import read_toml, validated

DOCS = "docs/yard.md"
Text = Annotated[str, Field(min_length=1, max_length=500)]


class _RuleSetInfo(StrictTypedModel):
    name: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    version: Annotated[str, Field(min_length=1, max_length=60)]
    source: Text


class _Balance(StrictTypedModel):
    coverage_factor: Annotated[float, Field(ge=1.0, le=4.0)]
    """k of U = k·u [-]; 1 … 4 (below 1 U is smaller than u; above 4 no coverage in JCGM 100 6.3 is meant)."""


class _BalanceRuleFile(StrictTypedModel):
    rule_set: _RuleSetInfo
    balance: _Balance


@dataclass(frozen=True)
class BalanceRule:
    """A loaded yard balance rule: its name, version and source, and the coverage factor k [-]."""

    name: str
    version: str
    source: str
    coverage_factor: float
    path: Path | None = None

    @property
    def label(self) -> str:
        """``name version`` as verdicts and reports print it."""
        return f"{self.name} {self.version}"

    def as_document(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source, "coverage_factor": self.coverage_factor}


def load_balance_rule(path: str | Path) -> BalanceRule:
    """Read and validate a yard balance rule file (TOML).

    Raises
    ------
    InputError
        Naming the file, the key path (``balance.coverage_factor``) and what was expected.
    """
    path = Path(path)
    parsed = validated(_BalanceRuleFile, read_toml(path), path, docs=DOCS)
    return BalanceRule(parsed.rule_set.name, parsed.rule_set.version, parsed.rule_set.source, parsed.balance.coverage_factor, path)


__all__ = ["BalanceRule", "load_balance_rule"]
