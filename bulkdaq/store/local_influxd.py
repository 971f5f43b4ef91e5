"""A private `influxd` (Debian's influxdb 1.x) on a free loopback port, for the demo and the tests.

Its data lives in a folder we choose; it is started and stopped by whoever created it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

from bulkdaq.errors import BulkdaqError


class InfluxdUnavailable(BulkdaqError, RuntimeError):
    """`influxd` is not installed or did not come up."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, timeout_s: float = 30.0) -> None:
    """Return once something accepts connections on 127.0.0.1:`port` (a simulator or server started in
    another process); raise RuntimeError after `timeout_s` [s]."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:g} s")


class LocalInfluxd:
    """Starts `influxd` with its data under `data_dir`, listening on 127.0.0.1 only."""

    def __init__(self, data_dir: str | Path, *, port: int | None = None, auth_enabled: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.auth_enabled = auth_enabled
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "influxd.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> LocalInfluxd:
        binary = shutil.which("influxd")
        if binary is None:
            raise InfluxdUnavailable("influxd is not installed; run scripts/setup.sh (installs Debian's influxdb)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "influxd.conf"
        config.write_text(self._config(), encoding="utf-8")
        log = self.log_path.open("ab")
        self._process = subprocess.Popen([binary, "-config", str(config)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise InfluxdUnavailable(f"influxd exited with code {self._process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1.0).status_code == 204:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise InfluxdUnavailable(f"influxd did not answer /ping within {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> LocalInfluxd:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _config(self) -> str:
        rpc_port = free_port()
        return f"""\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{self.data_dir / 'meta'}"
  logging-enabled = false

[data]
  dir = "{self.data_dir / 'data'}"
  wal-dir = "{self.data_dir / 'wal'}"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[http]
  bind-address = "127.0.0.1:{self.port}"
  auth-enabled = {str(self.auth_enabled).lower()}
  log-enabled = false
  pprof-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
"""


__all__ = [
    "InfluxdUnavailable",
    "LocalInfluxd",
    "free_port",
    "wait_listening",
]
