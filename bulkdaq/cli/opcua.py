"""CLI for OPC UA: `bulkdaq opcua browse`, `bulkdaq certs create`, `bulkdaq simulate plant`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bulkdaq.config.opcua_section import transport_problems
from bulkdaq.config.validation import environment_value, problems_error
from bulkdaq.errors import InputError

console = Console(emoji=False)  # node names and values are printed as they are
opcua_app = typer.Typer(help="Look at OPC UA servers (for writing site files).", no_args_is_help=True)
certs_app = typer.Typer(help="Certificates for OPC UA security (Basic256Sha256).", no_args_is_help=True)
MODES = ("None", "Sign", "SignAndEncrypt")


def register(app: typer.Typer, simulate_app: typer.Typer) -> None:
    """Add the OPC UA commands to the main app and to the `simulate` group."""
    app.add_typer(opcua_app, name="opcua")
    app.add_typer(certs_app, name="certs")
    simulate_app.command("plant")(simulate_plant)


def _mode(value: str, option: str) -> str:
    if value not in MODES:
        raise InputError("command line", option, f"expected one of {', '.join(MODES)}; got {value!r}")
    return value


def _password_from_env(name: str | None, option: str) -> str | None:
    return None if name is None else environment_value(name, "command line", option)


def _option(key: str) -> str:
    return "--" + key.replace("_", "-")


@opcua_app.command("browse")
def browse(
    endpoint: str = typer.Argument(..., help="Server endpoint, e.g. opc.tcp://dcs.example:4840"),
    security_mode: str = typer.Option("None", help="None, Sign or SignAndEncrypt (Basic256Sha256)."),
    certificate: Path | None = typer.Option(None, help="Our certificate (for Sign / SignAndEncrypt)."),
    private_key: Path | None = typer.Option(None, help="Our private key."),
    server_certificate: Path | None = typer.Option(None, help="Pin the server's certificate: accept exactly this one (DER or PEM)."),
    trusted_certificates: Path | None = typer.Option(None, help="Server certificates we accept (a folder or one file)."),
    username: str | None = typer.Option(None, help="User name, if the server wants one."),
    password_env: str | None = typer.Option(None, help="Environment variable holding the password (never on the command line)."),
    allow_password_without_encryption: bool = typer.Option(
        False, help="With --security-mode None: send the password in clear anyway (anyone on the network can read it)."),
    timeout: float = typer.Option(4.0, min=0.1, help="Seconds to wait for each answer of the server."),
    depth: int = typer.Option(8, min=1, help="How deep below Objects to look."),
    max_nodes: int = typer.Option(10_000, min=1, help="Stop after this many variables."),
    toml: bool = typer.Option(False, "--toml", help="Print [[opcua.servers.nodes]] entries instead of a table."),
) -> None:
    """List the variables below Objects: browse path, node id (without index), namespace URI, type, value.

    The server's certificate is checked as the collector checks it: pinned (--server-certificate) or against
    a trust list (--trusted-certificates); with neither it is accepted unchecked (a warning is logged).
    """
    from collectors.opcua.browse import browse_variables
    from collectors.opcua.connection import ConnectionSettings, OpcUaConnectError, close_client, open_client

    mode = _mode(security_mode, "--security-mode")
    problems = transport_problems(
        mode, certificate=certificate, private_key=private_key, server_certificate=server_certificate,
        trusted_certificates=trusted_certificates, username=username,
        allow_password_without_encryption=allow_password_without_encryption, spell=_option,
    )
    if username and password_env is None:
        problems.append(("username", "a --username needs --password-env naming the variable that holds its password"))
    if problems:
        raise problems_error("command line", [(_option(key), problem) for key, problem in problems], one_line=True)
    settings = ConnectionSettings(
        endpoint=endpoint,
        security_mode=mode,  # type: ignore[arg-type]
        certificate=certificate,
        private_key=private_key,
        server_certificate=server_certificate,
        trusted_certificates=trusted_certificates,
        username=username,
        password=_password_from_env(password_env, "--password-env"),
        timeout_s=timeout,
        allow_password_without_encryption=allow_password_without_encryption,
    )

    # asyncua logs its own diagnostics of a refused session, tracebacks included; the one line below says
    # what went wrong and what to do, so a person browsing sees that and not asyncua's internals.
    for library in ("asyncua", "asyncuagds"):  # asyncuagds.validate: asyncua's trust store
        logging.getLogger(library).setLevel(logging.CRITICAL)

    async def run() -> list:
        client = await open_client(settings)
        try:
            return await browse_variables(client, max_depth=depth, max_nodes=max_nodes)
        finally:
            await close_client(client)

    try:
        variables = asyncio.run(run())
    except OpcUaConnectError as error:
        raise InputError("command line", "ENDPOINT", str(error)) from None
    if toml:
        for v in variables:
            console.print(
                f'[[opcua.servers.nodes]]\nbrowse_path = "{v.browse_path}"   # node_id = "{v.node_id}"\n'
                f'namespace_uri = "{v.namespace_uri}"\nmeasurement = "signal"\nasset = "{v.browse_path.split("/")[-1]}"\nfield = "value"\n',
                highlight=False, markup=False,
            )
        return
    table = Table(box=None, pad_edge=False)
    for column in ("browse path", "node id", "namespace URI", "type", "value", "status"):
        table.add_column(column)
    for v in variables:
        table.add_row(*(escape(text) for text in (v.browse_path, v.node_id, v.namespace_uri, v.data_type, repr(v.value), v.status)))
    table.caption = f"{len(variables)} variables below Objects of {endpoint}"
    console.print(table)


@certs_app.command("create")
def certs_create(
    certificate: Path = typer.Option(..., "--cert", help="Where to write the certificate (.der for DER, else PEM)."),
    private_key: Path = typer.Option(..., "--key", help="Where to write the private key (PEM, mode 0600)."),
    application_uri: str = typer.Option(..., "--uri", help="Application URI, e.g. urn:terminal-a:bulkdaq:collector."),
    common_name: str = typer.Option("bulkdaq collector", "--name", help="Common name (CN)."),
    host: list[str] = typer.Option(["localhost"], "--host", help="Host name or IP address (repeat for several)."),
    role: str = typer.Option("client", help="client (collector), server (plant simulator) or both."),
    days: int = typer.Option(365, min=1, help="Validity in days."),
    force: bool = typer.Option(False, help="Overwrite existing files."),
) -> None:
    """Create a self-signed application instance certificate (RSA 2048, SHA-256) and its key."""
    from collectors.opcua.x509 import create_application_certificate

    if role not in ("client", "server", "both"):
        raise InputError("command line", "--role", f"expected client, server or both; got {role!r}")
    for path in (certificate, private_key):
        if path.exists() and not force:
            raise InputError("command line", str(path), "exists already; pass --force to overwrite it")
    pair = create_application_certificate(certificate, private_key, application_uri=application_uri, common_name=common_name,
                                          hostnames=host, role=role, days=days)  # type: ignore[arg-type]
    console.print(f"certificate {pair.certificate} (URI {pair.application_uri}), key {pair.private_key}", highlight=False)
    console.print("Copy the certificate into the peer's trusted certificates folder.", highlight=False)


def simulate_plant(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(4840, help="Port."),
    target_t: float = typer.Option(45_000.0, help="Quantity loaded from tank T-101 [t]."),
    rate_t_h: float = typer.Option(2_500.0, help="Steady loading rate [t/h]."),
    ramp_min: float = typer.Option(10.0, help="Ramp-up and ramp-down time [min, scenario time]."),
    start_delay_min: float = typer.Option(5.0, help="Idle time before pumping starts [min, scenario time]."),
    speedup: float = typer.Option(1080.0, help="Scenario seconds per real second (the flowmeter simulator's default)."),
    update_interval_s: float = typer.Option(0.5, help="How often the DCS updates its values [s, real time]."),
    security_mode: list[str] = typer.Option(["None"], help="Endpoint security: None, Sign, SignAndEncrypt (repeat for several)."),
    certificate: Path | None = typer.Option(None, help="The plant's certificate (for Sign / SignAndEncrypt)."),
    private_key: Path | None = typer.Option(None, help="The plant's private key."),
    trusted_clients: Path | None = typer.Option(None, help="Folder of client certificates the plant trusts."),
    user: str | None = typer.Option(None, help="A user name the plant accepts (password from --password-env)."),
    password_env: str | None = typer.Option(None, help="Environment variable holding that user's password."),
    no_anonymous: bool = typer.Option(False, "--no-anonymous", help="Refuse anonymous sessions."),
    bulk_variables: int = typer.Option(0, min=0, help="Extra variables under Plant/Bulk changing once per scenario second."),
) -> None:
    """Serve the plant's control system (tanks, pumps, valves, loading arm, belt scale, drafts) over OPC UA, until Ctrl-C."""
    from simulators.loading_profile import LoadingProfile
    from simulators.plant import PlantSecurity, PlantServer
    from simulators.plant_model import PlantModel
    from simulators.scenario_clock import ScenarioClock

    modes = tuple(_mode(m, "--security-mode") for m in security_mode)
    users = {}
    if user:
        password = _password_from_env(password_env, "--password-env")
        if password is None:
            raise InputError("command line", "--password-env", "a --user needs --password-env naming the variable with its password")
        users[user] = password
    try:
        security = PlantSecurity(modes=modes, certificate=certificate, private_key=private_key, trusted_clients=trusted_clients,  # type: ignore[arg-type]
                                 users=users, allow_anonymous=not no_anonymous)
    except ValueError as error:
        raise InputError("command line", "--security-mode", str(error)) from None
    clock = ScenarioClock(speedup)
    profile = LoadingProfile(target_t * 1000, rate_t_h * 1000, ramp_min * 60, ramp_min * 60, start_delay_min * 60)
    plant = PlantServer(PlantModel(profile), clock, host=host, port=port, security=security,
                        update_interval_s=update_interval_s, bulk_variables=bulk_variables)
    asyncio.run(_serve(plant, clock, profile))


async def _serve(plant, clock, profile) -> None:  # noqa: ANN001
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await plant.start()
    clock.start()
    console.print(f"plant DCS on {plant.endpoint} (namespace urn:bulkdaq:plant), modes {', '.join(plant.security.modes)}; "
                  f"loading done after {profile.end_s / clock.speedup:.0f} s real time (Ctrl-C stops)", highlight=False)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5)
            t = clock.seconds()
            console.print(f"scenario {t / 3600:6.2f} h: tank T-101 {plant.model.tov_m3(t):,.3f} m3, "
                          f"{plant.values_written} values written", highlight=False)
    finally:
        await plant.stop()


__all__ = [
    "MODES",
    "browse",
    "certs_app",
    "certs_create",
    "opcua_app",
    "register",
    "simulate_plant",
]
