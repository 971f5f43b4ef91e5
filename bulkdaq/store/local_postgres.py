"""A private PostgreSQL cluster (Debian's `postgresql`) on a free loopback port, for the tests and the benchmarks.

The customs office keeps its shipment registry in PostgreSQL; the tests and the benchmarks run it against a
real server, as they do InfluxDB (`bulkdaq/store/local_influxd.py`), never against a mock. Each
`LocalPostgres` is its own cluster: `initdb` in a folder we choose, then `postgres` as a child process
that listens on 127.0.0.1 only, with password (SCRAM-SHA-256) authentication for every connection,
including the Unix socket, and `fsync` left on, so what the tests see committed is on disk as in
production.

The cluster folder holds

* ``data/``: the cluster itself (``PGDATA``);
* ``socket/``: the server's Unix socket, kept out of ``/var/run/postgresql`` (the system cluster's);
* ``postgres.log``: the server's output, named in every error;
* ``superuser-password``: the random password of the superuser ``postgres`` (mode 0600), so a cluster
  kept in a `data_dir` can be started again.

`initdb` and `postgres` refuse to run as root. As root, both run as the OS user ``postgres`` (which
Debian's package creates), and the cluster goes to a fresh folder under the temporary directory owned by
that user, whatever `data_dir` says: pytest's folders under ``/tmp/pytest-of-root`` are 0700, so that
user could not reach them. That folder is removed by `stop`.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

from bulkdaq.errors import BulkdaqError
from bulkdaq.store.local_influxd import free_port

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
OS_USER = "postgres"  # the OS user that runs the server when we are root (Debian's package creates it)
_SOCKET_PATH_MAX = 107  # bytes in sun_path, less the closing NUL (Linux)


class PostgresUnavailable(BulkdaqError, RuntimeError):
    """PostgreSQL is not installed, or the private cluster did not come up."""


def newest_bin_dir(root: Path = DEBIAN_ROOT) -> Path | None:
    """The ``bin`` folder of the newest PostgreSQL major under `root` that has both `initdb` and `postgres`
    (Debian installs each major in ``/usr/lib/postgresql/<major>/bin``, off ``PATH``), or None."""
    found: list[tuple[tuple[int, ...], Path]] = []
    if root.is_dir():
        for entry in root.iterdir():
            if re.fullmatch(r"\d+(\.\d+)*", entry.name) and _has_binaries(entry / "bin"):
                found.append((tuple(int(part) for part in entry.name.split(".")), entry / "bin"))
    return max(found)[1] if found else None


def _has_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in ("initdb", "postgres"))


class LocalPostgres:
    """Starts a private PostgreSQL cluster under `data_dir`, listening on 127.0.0.1:`port` only.

    `data_dir` None (or running as root) puts the cluster in a fresh temporary folder, removed by `stop`;
    a given `data_dir` is kept, and a cluster already in it is started again. `bin_dir` overrides the
    folder of `initdb` and `postgres` (default: the newest major in ``/usr/lib/postgresql``).
    A failed `start` leaves the folder in place so its log can be read; `stop` removes it.
    """

    host = "127.0.0.1"

    def __init__(self, data_dir: str | Path | None = None, *, port: int | None = None, bin_dir: str | Path | None = None) -> None:
        self.port = port or free_port()
        self._requested_dir = Path(data_dir).resolve() if data_dir is not None else None
        self._bin_dir = Path(bin_dir) if bin_dir is not None else None
        self.cluster_dir: Path | None = None  # where the cluster is, once `start` has chosen it
        self._made_dir = False  # True when `cluster_dir` is a temporary folder of ours, removed by `stop`
        self._socket_tmp: Path | None = None  # the socket's folder when the cluster folder's path is too long for one
        self._password: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- where things are ---------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self._cluster() / "postgres.log"

    @property
    def superuser_password(self) -> str:
        if self._password is None:
            raise PostgresUnavailable("the PostgreSQL cluster has not been started")
        return self._password

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None) -> str:
        """A SQLAlchemy URL (driver psycopg 3) for `user` on `database`; the superuser's password is filled
        in for `user` ``postgres``, and user and password are URL-quoted (a password may hold ``@`` or ``/``)."""
        if password is None and user == SUPERUSER:
            password = self.superuser_password
        credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "")
        return f"postgresql+psycopg://{credentials}@{self.host}:{self.port}/{quote(database, safe='')}"

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self, timeout_s: float = 60.0) -> LocalPostgres:
        """Create the cluster if needed, start the server and return once it accepts a connection; raise
        PostgresUnavailable when it exits or does not answer within `timeout_s` [s] (initdb included)."""
        if self._process is not None and self._process.poll() is None:
            return self
        deadline = time.monotonic() + timeout_s
        bin_dir = self._bin_dir or newest_bin_dir()
        if bin_dir is None or not _has_binaries(bin_dir):
            where = bin_dir if bin_dir is not None else f"{DEBIAN_ROOT}/*/bin"
            raise PostgresUnavailable(f"PostgreSQL is not installed; run scripts/setup.sh (installs Debian's postgresql) [no initdb and postgres in {where}]")
        run_as = _os_user() if os.geteuid() == 0 else None
        cluster = self._prepare_cluster_dir(run_as)
        data = cluster / "data"
        password_file = cluster / "superuser-password"
        if not (data / "PG_VERSION").exists():
            self._password = secrets.token_urlsafe(24)
            password_file.write_text(self._password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
            self._give(password_file, run_as)
            self._initdb(bin_dir, data, password_file, run_as, deadline)
        else:
            self._password = password_file.read_text(encoding="utf-8").strip()
        socket_dir = self._socket_dir(cluster, run_as)
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                [
                    str(bin_dir / "postgres"),
                    "-D", str(data),
                    "-p", str(self.port),
                    "-c", f"listen_addresses={self.host}",
                    "-c", f"unix_socket_directories={socket_dir}",
                    "-c", "fsync=on",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cluster,
                env=_server_env(),
                # its own session: a Ctrl-C meant for the demo or pytest must not shut the server down
                # under them before they are done with it; `stop` shuts it down.
                start_new_session=True,
                **_as_user(run_as),
            )
        finally:
            log.close()
        self._wait_ready(deadline, timeout_s)
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Fast shutdown (SIGINT: open sessions are rolled back, committed data stays); kill the server if it
        has not exited within `timeout_s` [s]; then remove the cluster folder if it is a temporary one of
        ours. Safe to call again."""
        self._halt(timeout_s)
        if self._socket_tmp is not None:
            shutil.rmtree(self._socket_tmp, ignore_errors=True)
            self._socket_tmp = None
        if self._made_dir and self.cluster_dir is not None:
            shutil.rmtree(self.cluster_dir, ignore_errors=True)
            self.cluster_dir = None
            self._made_dir = False

    def _halt(self, timeout_s: float) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        self.stop()

    # -- as the superuser ---------------------------------------------------------------------------

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        """A psycopg connection as the superuser, in autocommit (CREATE DATABASE refuses a transaction)."""
        return psycopg.connect(
            host=self.host, port=self.port, user=SUPERUSER, password=self.superuser_password, dbname=database, autocommit=True, connect_timeout=10
        )

    def execute(self, statement: str | sql.Composable, params: Any = None, *, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement as the superuser in autocommit on `database`; return its rows ([] when it has none)."""
        with self.connect(database) as conn, conn.cursor() as cursor:
            cursor.execute(statement, params)  # type: ignore[arg-type]  # a caller's str is its own SQL
            return cursor.fetchall() if cursor.description is not None else []

    def create_database(self, name: str, owner: str | None = None) -> None:
        """CREATE DATABASE `name`, owned by `owner` (default: the superuser)."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner is not None:
            statement = sql.SQL("{} OWNER {}").format(statement, sql.Identifier(owner))
        self.execute(statement)

    def create_role(self, name: str, password: str, *, login: bool = True) -> None:
        """CREATE ROLE `name` with `password`. The password is sent as its SCRAM-SHA-256 verifier, computed
        here by libpq (as psql's ``\\password`` does), so the plain text never reaches the server or its log."""
        with self.connect() as conn:
            verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode("ascii")
            statement = sql.SQL("CREATE ROLE {} {} PASSWORD {}").format(
                sql.Identifier(name), sql.SQL("LOGIN" if login else "NOLOGIN"), sql.Literal(verifier)
            )
            conn.execute(statement)

    # -- inside -------------------------------------------------------------------------------------

    def _cluster(self) -> Path:
        if self.cluster_dir is None:
            raise PostgresUnavailable("the PostgreSQL cluster has not been started")
        return self.cluster_dir

    def _prepare_cluster_dir(self, run_as: pwd.struct_passwd | None) -> Path:
        if self.cluster_dir is None:
            if run_as is not None or self._requested_dir is None:
                self.cluster_dir = Path(tempfile.mkdtemp(prefix="bulkdaq-postgres-")).resolve()
                self._made_dir = True
            else:
                self.cluster_dir = self._requested_dir
                self.cluster_dir.mkdir(parents=True, exist_ok=True)
        self._give(self.cluster_dir, run_as)
        return self.cluster_dir

    def _socket_dir(self, cluster: Path, run_as: pwd.struct_passwd | None) -> Path:
        """``socket/`` in the cluster folder, or a short temporary folder (removed by `stop`) when that path would be
        too long for a Unix socket (a deep `data_dir`): the server refuses to start on a socket it cannot bind."""
        socket_dir = cluster / "socket"
        if len(os.fsencode(socket_dir / f".s.PGSQL.{self.port}")) > _SOCKET_PATH_MAX:
            if self._socket_tmp is None:
                # /tmp itself: the temporary directory may be what made the path long
                self._socket_tmp = Path(tempfile.mkdtemp(prefix="bulkdaq-pgsock-", dir="/tmp" if Path("/tmp").is_dir() else None))
            socket_dir = self._socket_tmp
        socket_dir.mkdir(mode=0o700, exist_ok=True)
        self._give(socket_dir, run_as)
        return socket_dir

    def _initdb(self, bin_dir: Path, data: Path, password_file: Path, run_as: pwd.struct_passwd | None, deadline: float) -> None:
        command = [
            str(bin_dir / "initdb"),
            "-D", str(data),
            f"--username={SUPERUSER}",
            f"--pwfile={password_file}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",  # the same collation on every machine, whatever its locale settings
            "--no-instructions",
        ]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                cwd=data.parent,
                env=_server_env(),
                timeout=max(deadline - time.monotonic(), 1.0),
                **_as_user(run_as),
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailable(f"initdb did not finish in time in {data}") from exc
        with self.log_path.open("ab") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed with code {result.returncode}; see {self.log_path}")

    def _wait_ready(self, deadline: float, timeout_s: float) -> None:
        assert self._process is not None
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise PostgresUnavailable(f"postgres exited with code {code}; see {self.log_path}")
            try:
                with psycopg.connect(
                    host=self.host, port=self.port, user=SUPERUSER, password=self.superuser_password, dbname="postgres", connect_timeout=2
                ):
                    return
            except psycopg.OperationalError:
                pass
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        self._halt(timeout_s=30.0)  # the folder (and its log) stays for the reader; `stop` removes it
        raise PostgresUnavailable(f"postgres did not accept a connection within {timeout_s:g} s; see {self.log_path}")

    @staticmethod
    def _give(path: Path, run_as: pwd.struct_passwd | None) -> None:
        if run_as is not None:
            os.chown(path, run_as.pw_uid, run_as.pw_gid)


def _os_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, the server must run as the OS user {OS_USER!r}, which does not exist; run scripts/setup.sh (installs Debian's postgresql)"
        ) from None


def _as_user(run_as: pwd.struct_passwd | None) -> dict[str, Any]:
    """Popen arguments that drop root to `run_as` (its group, none of root's), or none."""
    if run_as is None:
        return {}
    return {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []}


def _server_env() -> dict[str, str]:
    """Our environment without ``PG*`` variables (a ``PGDATA`` or ``PGPORT`` of the shell must not steer the server)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


__all__ = [
    "LocalPostgres",
    "PostgresUnavailable",
    "newest_bin_dir",
]
