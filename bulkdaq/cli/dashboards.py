"""CLI for Grafana dashboards: `bulkdaq dashboards build OUTDIR` (and optionally `push`)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from bulkdaq.config.validation import url_problem, url_without_credentials
from bulkdaq.errors import InputError

ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

dashboards_app = typer.Typer(help="Grafana dashboards, datasource and alert rules as files (or pushed over Grafana's HTTP API).", no_args_is_help=True)


@dashboards_app.command("build")
def build(
    outdir: Annotated[Path, typer.Argument(help="Folder to write; copy its contents into /etc/grafana/provisioning.")],
    influx_url: Annotated[str, typer.Option(help="InfluxDB URL as Grafana reaches it (v1 API).")] = "http://localhost:8086",
    database: Annotated[str, typer.Option(help="InfluxDB database (1.x) or DBRP-mapped bucket (2.x/3.x).")] = "bulkdaq",
    username: Annotated[str | None, typer.Option(help="InfluxDB user for Grafana, if auth is on (needs --password-env).")] = None,
    password_env: Annotated[
        str | None,
        typer.Option(help="Environment variable of grafana-server holding that user's InfluxDB password or token (needs --username); e.g. BULKDAQ_INFLUX_PASSWORD."),
    ] = None,
    installed_at: Annotated[Path, typer.Option(help="Where the tree will live on the Grafana host.")] = Path("/etc/grafana/provisioning"),
) -> None:
    """Write dashboard JSON, datasource and dashboard-provider YAML, alert rules and an example contact point for Grafana file provisioning."""
    from dashboards.grafana.provisioning import InfluxTarget, write_tree

    problem = url_problem(influx_url)
    if problem is not None and url_without_credentials(influx_url)[2] is not None:
        # the datasource file would carry the password to every Grafana host
        problem = "the URL holds a password (user:password@host); give --username and --password-env instead"
    if problem is not None:
        raise InputError("command line", "--influx-url", problem)
    if password_env and not username:
        raise InputError("command line", "--password-env", "a password needs a user: give --username too (InfluxDB with auth refuses a password without a user)")
    if password_env and not ENVIRONMENT_NAME.fullmatch(password_env):
        raise InputError("command line", "--password-env", f"{password_env!r} is not an environment variable name (letters, digits and _, not starting with a digit)")
    if username and "$" in username:
        raise InputError("command line", "--username", "Grafana would read a $ in the user name as an environment variable; choose a user name without $")
    if username and not password_env:
        raise InputError("command line", "--username", "a --username needs --password-env naming the environment variable of grafana-server that holds its password")
    target = InfluxTarget(url=influx_url, database=database, username=username, password_env=password_env)
    for path in write_tree(outdir, target, installed_at=installed_at):
        typer.echo(str(path))


@dashboards_app.command("push")
def push(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. https://grafana.example:3000")],
    token_env: Annotated[str, typer.Option(help="Environment variable holding a Grafana service-account token.")] = "GRAFANA_TOKEN",
) -> None:
    """Create or update the dashboards in a running Grafana over its HTTP API (needs the `grafana` extra)."""
    try:
        from grafana_client import GrafanaApi  # optional: it replaces urllib3 in its environment (docs/design.md, "Storage and dashboards, and why")
    except ImportError:
        raise InputError(
            "bulkdaq dashboards push", "grafana-client",
            "not installed; install the optional grafana extra (grafana-client) or use `bulkdaq dashboards build` and file provisioning",
        ) from None
    token = os.environ.get(token_env)
    if not token:
        raise InputError("bulkdaq dashboards push", "--token-env", f"environment variable {token_env} is not set; it must hold a Grafana service-account token")
    from dashboards.grafana import catalog

    api = GrafanaApi.from_url(url, credential=token)
    for uid, dashboard in catalog.build_all().items():
        api.dashboard.update_dashboard({"dashboard": dashboard, "overwrite": True, "message": "bulkdaq dashboards push"})
        typer.echo(f"pushed {uid}")


def register(app: typer.Typer) -> None:
    """Add the `dashboards` command group to the main app."""
    app.add_typer(dashboards_app, name="dashboards")


__all__ = [
    "ENVIRONMENT_NAME",
    "build",
    "dashboards_app",
    "push",
    "register",
]
