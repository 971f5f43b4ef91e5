"""A blending recipe: the component lots, the feeder belt scale each is drawn over, its target share of the
blend with a tolerance, and the product belt scale the blend leaves on (docs/yard.md, "The run document").

A recipe is a TOML file::

    name = "PB-blend-62"
    version = "3"
    product_scale = "BP-1"

    [[components]]
    lot = "L-PILBARA-01"
    scale = "BF-1"
    target_pct = 60.0      # share of the components' sum [%]
    tolerance_pp = 2.0     # |share − target| allowed [percentage points]

Loading checks every key against the site's `[[yard.belt_scales]]`: a component's scale must be a
configured feeder, the product scale a configured product scale, and the targets must sum to 100 %
(within the calculator's slack, `calculators.blending.mass_balance.TARGET_SUM_SLACK_PCT`). A mistake is
an `InputError` naming the recipe file and the key (``components[1].scale``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from bulkdaq.config.site_file import LoadedSite, YardSettings
from bulkdaq.config.strict_model import StrictTypedModel
from bulkdaq.config.validation import Label, Name, Problem, problems_error, read_toml, validated
from calculators.blending.mass_balance import TARGET_SUM_SLACK_PCT

DOCS = "docs/yard.md"


class Component(StrictTypedModel):
    """One component of a blend: a lot, drawn over one feeder belt scale."""

    lot: Name
    scale: Name
    target_pct: Annotated[float, Field(gt=0, le=100)]  # target share of the components' sum [%]
    tolerance_pp: Annotated[float, Field(ge=0, le=100)]  # tolerance on the share [percentage points, absolute]

    def as_document(self) -> dict[str, Any]:
        return {"lot": self.lot, "scale": self.scale, "target_pct": self.target_pct, "tolerance_pp": self.tolerance_pp}


class Recipe(StrictTypedModel):
    """A named, versioned recipe. Use `load_recipe` for a file; `checked_recipe` for one built in code."""

    name: Annotated[Label, Field(min_length=1)]
    version: Annotated[Label, Field(min_length=1)]
    components: Annotated[list[Component], Field(min_length=1)]
    product_scale: Name

    def as_document(self) -> dict[str, Any]:
        """The recipe as the run document carries it (docs/yard.md)."""
        return {
            "name": self.name,
            "version": self.version,
            "components": [component.as_document() for component in self.components],
            "product_scale": self.product_scale,
        }


def recipe_problems(recipe: Recipe, yard: YardSettings) -> list[Problem]:
    """What is wrong with `recipe` on a site whose yard is `yard`, as (key path, problem)."""
    return list(_problems(recipe, yard))


def _problems(recipe: Recipe, yard: YardSettings) -> Iterable[Problem]:
    roles = {scale.asset: scale.role for scale in yard.belt_scales}
    listing = ", ".join(f"{asset} ({role})" for asset, role in roles.items()) or "none"
    lots: dict[str, int] = {}
    scales: dict[str, int] = {}
    for c, component in enumerate(recipe.components):
        at = f"components[{c}]"
        if component.lot in lots:
            yield f"{at}.lot", f"lot {component.lot!r} is already components[{lots[component.lot]}]; one entry per lot"
        lots.setdefault(component.lot, c)
        if component.scale in scales:
            # Two lots over one feeder could not be told apart in its total.
            yield f"{at}.scale", f"scale {component.scale!r} already feeds components[{scales[component.scale]}]; each component needs its own feeder scale"
        scales.setdefault(component.scale, c)
        role = roles.get(component.scale)
        if role is None:
            yield f"{at}.scale", f"{component.scale!r} is not a belt scale of the site's [[yard.belt_scales]] (belt scales: {listing})"
        elif role != "feeder":
            yield f"{at}.scale", f"{component.scale!r} is a {role} scale; a component is drawn over a feeder scale"
    role = roles.get(recipe.product_scale)
    if role is None:
        yield "product_scale", f"{recipe.product_scale!r} is not a belt scale of the site's [[yard.belt_scales]] (belt scales: {listing})"
    elif role != "product":
        yield "product_scale", f"{recipe.product_scale!r} is a {role} scale; the blend leaves on a product scale"
    total = sum(component.target_pct for component in recipe.components)
    if abs(total - 100.0) > TARGET_SUM_SLACK_PCT:
        shares = " + ".join(f"{component.target_pct:.10g}" for component in recipe.components)
        yield "components", f"the target shares sum to {shares} = {total:.10g} %; expected 100 %"


def checked_recipe(recipe: Recipe, site: LoadedSite, source: str | Path = "recipe") -> Recipe:
    """`recipe` if it fits the site's yard; an InputError naming `source` and every key at fault otherwise."""
    problems = recipe_problems(recipe, site.config.yard)
    if problems:
        raise problems_error(source, problems)
    return recipe


def load_recipe(path: str | Path, site: LoadedSite) -> Recipe:
    """Read and check a recipe TOML file against the site's `[[yard.belt_scales]]`.

    Raises
    ------
    InputError
        Naming the file, the key path (``components[1].target_pct``) and what was expected; every
        problem of the file is listed.
    """
    path = Path(path)
    recipe = validated(Recipe, read_toml(path), path, docs=DOCS)
    return checked_recipe(recipe, site, path)


__all__ = [
    "Component",
    "Recipe",
    "checked_recipe",
    "load_recipe",
    "recipe_problems",
]
