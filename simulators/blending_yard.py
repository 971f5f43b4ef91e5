"""A bonded blending yard on one scenario clock: a feeder belt scale per recipe component and a product belt
scale, with known ground truth (docs/yard.md).

Every feeder runs the same trapezoid (ramp up, steady, ramp down) scaled to its share, so the components
start and stop together and their shares hold over the whole run. What passes over the product belt is the
sum of what the feeders deliver × (1 + `product_bias`) (0: nothing lost or gained between the feeders and
the product scale), in closed form. Each belt scale reports what passes over it, or `pct` % more from the
moment a drift begins (`simulators/belt_scale.py`). The scales are served by the site file's own Modbus
devices: each device that carries the recipe's scales is one `BeltScaleSimulator`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bulkdaq.config.site_file import LoadedSite
from bulkdaq.yard.recipe import Recipe
from simulators.belt_scale import BeltFeed, BeltFlow, BeltScaleSimulator, Drift, ProfileFlow
from simulators.loading_profile import LoadingProfile
from simulators.modbus_device_server import ModbusDeviceServer
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError


@dataclass(frozen=True)
class SummedFlow:
    """A belt that carries several runs one after another (or together): the sum of their flows [t]."""

    flows: tuple[BeltFlow, ...]

    def rate_t_h(self, t: float) -> float:
        return sum(flow.rate_t_h(t) for flow in self.flows)

    def carried_t(self, t: float) -> float:
        return sum(flow.carried_t(t) for flow in self.flows)


@dataclass(frozen=True)
class StillBelt:
    """A belt of the yard that takes no part in the runs (a receiving belt between ships): it stands still."""

    def rate_t_h(self, t: float) -> float:
        return 0.0

    def carried_t(self, t: float) -> float:
        return 0.0


@dataclass(frozen=True)
class ProductFlow:
    """The product belt: the sum of the feeders' flows × (1 + bias) [t]."""

    feeders: tuple[BeltFlow, ...]
    bias: float = 0.0

    def rate_t_h(self, t: float) -> float:
        return sum(flow.rate_t_h(t) for flow in self.feeders) * (1.0 + self.bias)

    def carried_t(self, t: float) -> float:
        return sum(flow.carried_t(t) for flow in self.feeders) * (1.0 + self.bias)


@dataclass(frozen=True)
class BlendPlan:
    """What the yard runs: `total_t` of components at `rate_t_h` together, starting at `start_s`.

    `shares_pct` is the share each feeder scale actually delivers [%] (the recipe's targets for an honest
    run); `ramp_s` the ramp up and down of every feeder [s, scenario time]."""

    total_t: float
    rate_t_h: float
    shares_pct: Mapping[str, float]
    start_s: float = 60.0
    ramp_s: float = 60.0

    def __post_init__(self) -> None:
        if abs(sum(self.shares_pct.values()) - 100.0) > 1e-6:
            raise SetupError(f"the feeders' shares sum to {sum(self.shares_pct.values())!r} %; expected 100 %")
        if any(share <= 0 for share in self.shares_pct.values()):
            raise SetupError(f"every feeder's share must be > 0 %; got {dict(self.shares_pct)}")

    def profile(self, scale: str) -> LoadingProfile:
        share = self.shares_pct[scale] / 100.0
        return LoadingProfile(self.total_t * share * 1000.0, self.rate_t_h * share * 1000.0, self.ramp_s, self.ramp_s, self.start_s)

    @property
    def end_s(self) -> float:
        """Scenario time at which every feeder has stopped [s]."""
        return self.start_s + self.total_t / self.rate_t_h * 3600.0 + self.ramp_s


class BlendingYard:
    """The recipe's feeder scales and its product scale, served from the site's Modbus devices on one clock.

    Ground truth: `carried_t(scale, t)` is the mass that truly passed over a belt; `counted_t(scale, t)` what
    its integrator counted (drift included), i.e. what a collector reads as its total minus the initial one.
    `plan` is one run, or several runs of the recipe one after another on the same belts (each its own plan,
    with its own start).
    """

    def __init__(
        self,
        site: LoadedSite,
        recipe: Recipe,
        plan: BlendPlan | Sequence[BlendPlan],
        clock: ScenarioClock,
        *,
        drifts: Mapping[str, Drift] | None = None,
        product_bias: float = 0.0,
        initial_totals_t: Mapping[str, float] | None = None,
    ) -> None:
        plans = (plan,) if isinstance(plan, BlendPlan) else tuple(plan)
        if not plans:
            raise SetupError("no run planned: give at least one BlendPlan")
        self.site, self.recipe, self.plans, self.clock = site, recipe, plans, clock
        feeders = [component.scale for component in recipe.components]
        for each in plans:
            if set(each.shares_pct) != set(feeders):
                raise SetupError(f"the plan's feeder shares name {sorted(each.shares_pct)}; the recipe's feeders are {sorted(feeders)}")
        drifts = dict(drifts or {})
        unknown = set(drifts) - {*feeders, recipe.product_scale}
        if unknown:
            raise SetupError(f"a drift is given for {sorted(unknown)}, which is no scale of recipe {recipe.name!r}")
        initial = {scale: 10_000.0 + 1_111.125 * n for n, scale in enumerate([*feeders, recipe.product_scale])}
        initial.update(initial_totals_t or {})
        flows: dict[str, BeltFlow] = {
            scale: ProfileFlow(plans[0].profile(scale)) if len(plans) == 1 else SummedFlow(tuple(ProfileFlow(p.profile(scale)) for p in plans))
            for scale in feeders
        }
        self.feeds: dict[str, BeltFeed] = {
            scale: BeltFeed(flow, initial[scale], drifts.get(scale)) for scale, flow in flows.items()
        }
        product = ProductFlow(tuple(flows.values()), product_bias)
        self.feeds[recipe.product_scale] = BeltFeed(product, initial[recipe.product_scale], drifts.get(recipe.product_scale))
        self.simulators: list[BeltScaleSimulator] = []
        for device in site.config.modbus.devices:
            carried = {point.asset for point in device.points if point.measurement == "scale"}
            if not carried or any(point.measurement != "scale" for point in device.points):
                continue
            # The yard's other belts are served too, standing still, so every device of the site answers.
            feeds = {scale: self.feeds.get(scale) or BeltFeed(StillBelt(), initial.get(scale, 20_000.0)) for scale in carried}
            self.simulators.append(BeltScaleSimulator(device, feeds, clock))
        served = {scale for simulator in self.simulators for scale in simulator.scales}
        missing = set(self.feeds) - served
        if missing:
            raise SetupError(f"no Modbus device of the site serves scale(s) {sorted(missing)} of recipe {recipe.name!r} (served: {sorted(served)})")

    @property
    def end_s(self) -> float:
        """Scenario time at which the last planned run has stopped [s]."""
        return max(each.end_s for each in self.plans)

    def simulator_of(self, scale: str) -> BeltScaleSimulator:
        """The device simulator that serves `scale`."""
        return next(simulator for simulator in self.simulators if scale in simulator.scales)

    def servers(self) -> list[ModbusDeviceServer]:
        """One Modbus TCP server per device, on the devices' addresses."""
        return [simulator.server() for simulator in self.simulators]

    def carried_t(self, scale: str, t: float) -> float:
        """Ground truth: the mass that passed over `scale`'s belt from scenario time 0 to `t` [t]."""
        return self.feeds[scale].carried_t(t)

    def counted_t(self, scale: str, t: float) -> float:
        """What `scale` counted from 0 to `t` [t], its drift included."""
        return self.feeds[scale].counted_t(t)


def honest_plan(recipe: Recipe, total_t: float, rate_t_h: float, *, start_s: float = 60.0, ramp_s: float = 60.0) -> BlendPlan:
    """A run that keeps its recipe: each feeder delivers its target share."""
    return BlendPlan(total_t, rate_t_h, {c.scale: c.target_pct for c in recipe.components}, start_s, ramp_s)


def off_recipe_plan(recipe: Recipe, total_t: float, rate_t_h: float, shift_pp: float, *, start_s: float = 60.0, ramp_s: float = 60.0) -> BlendPlan:
    """A run off its recipe: the first component's feeder delivers `shift_pp` percentage points more than its
    target, the second that much less (the others keep their targets)."""
    if len(recipe.components) < 2:
        raise SetupError("an off-recipe run moves share from one component to another; the recipe has one component")
    shares = {c.scale: c.target_pct for c in recipe.components}
    first, second = recipe.components[0].scale, recipe.components[1].scale
    shares[first] += shift_pp
    shares[second] -= shift_pp
    return BlendPlan(total_t, rate_t_h, shares, start_s, ramp_s)


def blending_scenario(
    site: LoadedSite,
    recipe: Recipe,
    clock: ScenarioClock,
    *,
    total_t: float = 600.0,
    rate_t_h: float = 1_200.0,
    drifts: Mapping[str, float] | None = None,
    drift_from_s: float = 0.0,
    off_recipe_pp: float = 0.0,
    product_bias: float = 0.0,
) -> BlendingYard:
    """The yard running one blend of `recipe`: honest unless told otherwise.

    Parameters
    ----------
    total_t : float
        Mass of the components [t].
    rate_t_h : float
        Their summed steady rate [t per scenario hour].
    drifts : mapping of scale to percent, optional
        Scales that count this much high (or low) from `drift_from_s` [s, scenario time].
    off_recipe_pp : float
        0: every feeder delivers its target; else the first component runs this many percentage points over
        its target and the second that much under.
    product_bias : float
        The product belt carries Σ feeders × (1 + bias) [-].
    """
    plan = off_recipe_plan(recipe, total_t, rate_t_h, off_recipe_pp) if off_recipe_pp else honest_plan(recipe, total_t, rate_t_h)
    drift_of = {scale: Drift(pct, drift_from_s) for scale, pct in (drifts or {}).items()}
    return BlendingYard(site, recipe, plan, clock, drifts=drift_of, product_bias=product_bias)


__all__ = [
    "BlendPlan",
    "BlendingYard",
    "ProductFlow",
    "StillBelt",
    "SummedFlow",
    "blending_scenario",
    "honest_plan",
    "off_recipe_plan",
]
