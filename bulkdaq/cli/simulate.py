"""`bulkdaq simulate …`: simulated devices, served from a site file's own register maps."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from bulkdaq.config.site_file import ModbusDevice, load_site
from bulkdaq.errors import InputError
from bulkdaq.yard.recipe import load_recipe
from simulators.blending_yard import BlendingYard, blending_scenario
from simulators.device_profiles import load_profile, profile_device, profile_names
from simulators.draft_observer import SESSION_PRESETS, fly_preset, write_observation_csv, write_observation_file
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.modbus_device_server import ModbusDeviceServer
from simulators.scenario_clock import ScenarioClock
from simulators.vessel_at_berth import EXAMPLE_JOB_FILE, capesize_loading_scenario, write_survey_job

simulate_app = typer.Typer(help="Simulated devices for testing a site or the whole chain.", no_args_is_help=True)
console = Console()


def find_device(site_file: Path, name: str) -> ModbusDevice:
    site = load_site(site_file)
    for device in site.config.modbus.devices:
        if device.name == name:
            return device
    names = ", ".join(d.name for d in site.config.modbus.devices) or "none"
    raise InputError(site_file, "modbus.devices[].name", f"no device named {name!r} (devices: {names})")


@simulate_app.command("flowmeter")
def flowmeter(
    site_file: Path = typer.Option(..., "--site", help="Site file whose register map the simulator serves."),
    device_name: str = typer.Option(..., "--device", help="Name of the Modbus device in the site file."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int | None = typer.Option(None, help="Port (default: the device's port in the site file)."),
    target_t: float = typer.Option(45_000.0, help="Quantity to load per meter [t]."),
    rate_t_h: float = typer.Option(2_500.0, help="Steady loading rate per meter [t/h]."),
    ramp_min: float = typer.Option(10.0, help="Ramp-up and ramp-down time [min, scenario time]."),
    start_delay_min: float = typer.Option(5.0, help="Idle time before pumping starts [min, scenario time]."),
    speedup: float = typer.Option(1080.0, help="Scenario seconds per real second (1080: 18 h in 1 min)."),
    density: float = typer.Option(800.0, help="Line density of the product [kg/m3]."),
    device_profile: str | None = typer.Option(
        None, "--profile",
        help=f"Serve this device profile's register layout, taken from the meter's manual, instead of the site file's "
             f"(the site file then gives the address, unit id and meter): {', '.join(profile_names())}.",
    ),
    meter: str | None = typer.Option(None, "--meter", help="With --profile: the meter it stands for (default: the device's only meter)."),
) -> None:
    """Serve a flowmeter over Modbus TCP whose totals follow a loading, until Ctrl-C.

    Its flow rates are per real hour (the scenario's rate × speedup), the pace at which its totals move, so a
    collector's totalizer-jump check holds with its default margin.
    """
    device = find_device(site_file, device_name)
    served = device if device_profile is None else _profile_layout(site_file, device, device_profile, meter)
    clock = ScenarioClock(speedup)
    profile = LoadingProfile(target_t * 1000, rate_t_h * 1000, ramp_min * 60, ramp_min * 60, start_delay_min * 60)
    simulator = FlowmeterSimulator.for_loading(served, clock, profile, density_kg_m3=density)
    console.print(
        f"flowmeter {device.name} on {host}:{port or device.port} unit {device.unit_id}: "
        f"{target_t:,.0f} t per meter at {rate_t_h:,.0f} t/h, done after {profile.end_s / speedup:.0f} s real time (Ctrl-C stops); "
        f"rates are reported per real hour, {speedup:g} × the scenario's",
        soft_wrap=True, highlight=False,
    )
    asyncio.run(_serve(simulator, host, port, clock, profile))


def _profile_layout(site_file: Path, device: ModbusDevice, name: str, meter: str | None) -> ModbusDevice:
    """The layout of profile `name` at the site device's address, for its meter; says what it serves."""
    meters = list(dict.fromkeys(point.asset for point in device.points if point.measurement == "meter"))
    if meter is None:
        if len(meters) != 1:
            raise InputError(site_file, "--meter", f"device {device.name!r} carries meters {', '.join(meters) or 'none'}; name the one the profile stands for")
        meter = meters[0]
    chosen = load_profile(name)
    served = profile_device(chosen, device, meter)
    console.print(
        f"serving device profile {name}: {chosen.title}, registers {', '.join(f'{p.register_type} {p.address} {p.data_type} {p.field}' for p in served.points)} "
        f"in {chosen.device.get('register_order') or 'the orders it names'} (sources: simulators/device_profiles/{name}.toml); "
        f"read it with the site file's device {device.name}: a field the site maps differently reads another number",
        soft_wrap=True, highlight=False,
    )
    return served


async def _serve(simulator: FlowmeterSimulator, host: str, port: int | None, clock: ScenarioClock, profile: LoadingProfile) -> None:
    def report(t: float) -> str:
        rate_t_h = profile.rate_kg_h(t) / 1000
        return (f"scenario {t / 3600:6.2f} h: delivered {profile.delivered_kg(t) / 1000:,.3f} t, rate {rate_t_h:,.1f} t/h "
                f"(reported {rate_t_h * clock.speedup:,.1f} t per real hour)")

    await _serve_until_stopped([simulator.server(host, port)], clock, report)


async def _serve_until_stopped(servers: list[ModbusDeviceServer], clock: ScenarioClock, report: Callable[[float], str]) -> None:
    """Serve until SIGINT or SIGTERM, printing `report(scenario seconds)` every 5 s. The servers are made inside
    the running event loop by the caller (pymodbus binds a server to the loop it is made in)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    for server in servers:
        await server.start()
    clock.start()
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5)
            console.print(report(clock.seconds()), highlight=False, soft_wrap=True)
    finally:
        for server in servers:
            await server.stop()


def parse_drift(text: str) -> tuple[str, float]:
    """``BF-2=1.5`` as (scale, percent); an InputError naming --drift otherwise."""
    scale, equals, pct = text.partition("=")
    try:
        value = float(pct) if equals and scale else None
    except ValueError:
        value = None
    if value is None:
        raise InputError("command line", "--drift", f"{text!r} is not SCALE=PERCENT; write e.g. --drift BF-2=1.5 (BF-2 counts 1.5 % high)")
    return scale, value


@simulate_app.command("yard")
def yard(
    site_file: Path = typer.Argument(..., help="Site file with the yard's belt scales ([[yard.belt_scales]]) and their Modbus devices."),
    recipe_file: Path = typer.Option(..., "--recipe", help="Recipe TOML file the yard blends (components, feeder scales, product scale)."),
    drift: list[str] = typer.Option([], "--drift", help="SCALE=PCT: this scale counts PCT % high (negative: low) from the start; repeatable."),
    speedup: float = typer.Option(60.0, help="Scenario seconds per real second."),
    total_t: float = typer.Option(600.0, help="Mass of the components in the run [t]."),
    rate_t_h: float = typer.Option(1_200.0, help="Summed steady rate of the feeders [t/h, scenario time]."),
    off_recipe_pp: float = typer.Option(0.0, "--off-recipe", help="The first component runs this many percentage points over its target, the second under."),
) -> None:
    """Serve the yard's belt scales over Modbus TCP, blending one run of the recipe, until Ctrl-C.

    The truth is printed as it goes: what passed over each belt and what each scale counted.
    """
    site = load_site(site_file)
    recipe = load_recipe(recipe_file, site)
    drifts = dict(parse_drift(text) for text in drift)
    clock = ScenarioClock(speedup)
    scenario = blending_scenario(site, recipe, clock, total_t=total_t, rate_t_h=rate_t_h, drifts=drifts, off_recipe_pp=off_recipe_pp)
    for simulator in scenario.simulators:
        console.print(f"belt scales {', '.join(simulator.scales)} on {simulator.device.host}:{simulator.device.port} unit {simulator.device.unit_id}", highlight=False)
    console.print(
        f"recipe {recipe.name} v{recipe.version}: {total_t:,.0f} t at {rate_t_h:,.0f} t/h, done after {scenario.end_s / speedup:.0f} s real time "
        f"(Ctrl-C stops); rates are reported per real hour, {speedup:g} × the scenario's",
        soft_wrap=True, highlight=False,
    )
    asyncio.run(_serve_yard(scenario, clock))


async def _serve_yard(scenario: BlendingYard, clock: ScenarioClock) -> None:
    def report(t: float) -> str:
        truth = ", ".join(f"{scale} {scenario.carried_t(scale, t):,.3f} t (counted {scenario.counted_t(scale, t):,.3f})" for scale in scenario.feeds)
        return f"scenario {t / 3600:6.2f} h: {truth}"

    await _serve_until_stopped(scenario.servers(), clock, report)


@simulate_app.command("vessel")
def vessel(
    out: Path = typer.Option(EXAMPLE_JOB_FILE, "--out", help="Where to write the survey job file."),
) -> None:
    """Write the simulated Capesize's survey job file: full hydrostatic table, true still-water marks of its loading."""
    scenario = capesize_loading_scenario()
    try:
        write_survey_job(out, scenario)
    except OSError as error:
        raise InputError(str(out), "--out", f"cannot write the survey job file: {error.strerror or error}") from None
    cargo = abs(scenario.final.cargo_t - scenario.initial.cargo_t)
    console.print(f"{out}: {scenario.vessel.name}, {scenario.operation} of {cargo:,.3f} t (the truth), surveys initial and final")


@simulate_app.command("drone")
def drone(
    out: Path = typer.Option(..., "--out", help="Observation file to write (JSON, docs/draft_observation.md)."),
    survey: str = typer.Option("initial", "--survey", help="The survey of the simulated job observed: initial or final."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random draw (sea phases, reading noise, hydrometer)."),
    preset: str = typer.Option("calm", "--preset", help=f"Kind of session: {', '.join(SESSION_PRESETS)}."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write the readings as CSV here."),
) -> None:
    """Fly a simulated drone round the simulated Capesize and write what it read of her draft marks."""
    session = fly_preset(capesize_loading_scenario(), preset, survey, seed=seed)
    try:
        write_observation_file(out, session)
        if csv_out is not None:
            write_observation_csv(csv_out, session)
    except OSError as error:
        raise InputError(str(error.filename or out), "--out", f"cannot write the observation file: {error.strerror or error}") from None
    marks = ", ".join(recording.mark for recording in session.recordings)
    console.print(
        f"{out}: survey {survey}, {len(session.document['readings'])} readings of {marks}, "
        f"{len(session.document['density_samples'])} density samples (preset {preset}, seed {seed})"
    )


__all__ = [
    "drone",
    "find_device",
    "flowmeter",
    "simulate_app",
    "vessel",
    "yard",
]
