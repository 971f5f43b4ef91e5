"""The private PostgreSQL cluster against the real server: roles and databases, password authentication,
loopback only, a clean stop, the move out of root's private folders, and a clear error when it is missing."""

from __future__ import annotations

import os
import pwd
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from bulkdaq.store.local_postgres import LocalPostgres, PostgresUnavailable, newest_bin_dir

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the move out of root's folders happens only as root")


def refuses(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_a_role_connects_to_its_database_with_its_password(postgres_cluster: LocalPostgres) -> None:
    postgres_cluster.create_role("clerk a", "p@ss:w/rd %1")  # quoted as an identifier and in the URL
    postgres_cluster.create_database("registry a", owner="clerk a")
    engine = sa.create_engine(postgres_cluster.url("registry a", user="clerk a", password="p@ss:w/rd %1"))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user, current_database(), 6 * 7")).one() == ("clerk a", "registry a", 42)
    finally:
        engine.dispose()
    assert postgres_cluster.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", ["registry a"]) == [("clerk a",)]
    # the server holds the SCRAM verifier, never the password itself
    [(stored,)] = postgres_cluster.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", ["clerk a"])
    assert stored.startswith("SCRAM-SHA-256$") and "p@ss" not in stored
    assert "p@ss" not in postgres_cluster.log_path.read_text(encoding="utf-8")


def test_a_wrong_password_is_refused(postgres_cluster: LocalPostgres) -> None:
    postgres_cluster.create_role("clerk b", "right")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host="127.0.0.1", port=postgres_cluster.port, user="clerk b", password="wrong", dbname="postgres")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host="127.0.0.1", port=postgres_cluster.port, user="postgres", password="wrong", dbname="postgres")


def test_a_role_without_login_cannot_connect(postgres_cluster: LocalPostgres) -> None:
    postgres_cluster.create_role("owner only", "secret", login=False)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(host="127.0.0.1", port=postgres_cluster.port, user="owner only", password="secret", dbname="postgres")


def test_it_listens_on_loopback_only_keeps_fsync_and_its_socket_in_its_folder(postgres_cluster: LocalPostgres) -> None:
    assert postgres_cluster.execute("SHOW listen_addresses") == [("127.0.0.1",)]
    assert postgres_cluster.execute("SHOW fsync") == [("on",)]
    assert postgres_cluster.execute("SHOW password_encryption") == [("scram-sha-256",)]
    assert postgres_cluster.cluster_dir is not None
    [(socket_dir,)] = postgres_cluster.execute("SHOW unix_socket_directories")
    assert Path(socket_dir) == postgres_cluster.cluster_dir / "socket"
    [(encoding,)] = postgres_cluster.execute("SHOW server_encoding")
    assert encoding == "UTF8"


def test_office_database_is_a_fresh_database_of_its_own(office_database: str, postgres_cluster: LocalPostgres) -> None:
    engine = sa.create_engine(office_database)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT current_database() LIKE 'office\\_%', current_user")).one() == (True, "postgres")
            conn.execute(sa.text("CREATE TABLE registry (n integer)"))
    finally:
        engine.dispose()


def test_stop_closes_the_port_and_is_idempotent(tmp_path: Path) -> None:
    cluster = LocalPostgres(tmp_path / "cluster")
    with cluster:
        assert cluster.execute("SELECT 1") == [(1,)]
        port = cluster.port
    assert refuses(port)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", password="x", dbname="postgres", connect_timeout=2)
    cluster.stop()
    cluster.stop()


@as_root
def test_as_root_the_cluster_moves_to_a_folder_of_the_postgres_user_and_goes_at_stop(tmp_path: Path) -> None:
    asked = tmp_path / "cluster"  # under /tmp/pytest-of-root, 0700: the server's user could not reach it
    cluster = LocalPostgres(asked).start()
    try:
        folder = cluster.cluster_dir
        assert folder is not None and not folder.is_relative_to(tmp_path) and not asked.exists()
        assert folder.parent == Path(tempfile.gettempdir()).resolve() and folder.name.startswith("bulkdaq-postgres-")
        postgres = pwd.getpwnam("postgres")
        assert folder.stat().st_uid == postgres.pw_uid
        [(data_directory,)] = cluster.execute("SHOW data_directory")
        assert Path(data_directory) == folder / "data" and Path(data_directory).stat().st_uid == postgres.pw_uid
        # the server itself runs as postgres, not as root (the backend is read while its connection is open:
        # a closed connection's backend may already be gone from /proc)
        with cluster.connect() as connection:
            backend = connection.execute("SELECT pg_backend_pid()").fetchone()
            assert backend is not None
            with open(f"/proc/{backend[0]}/status", encoding="ascii") as status:
                uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        assert {int(uid) for uid in uids} == {postgres.pw_uid}
    finally:
        cluster.stop()
    assert not folder.exists()


@as_root
def test_a_socket_path_too_long_for_unix_goes_to_a_short_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    deep = Path(tempfile.mkdtemp(prefix="bulkdaq-deep-", dir="/tmp")) / ("d" * 90)
    deep.mkdir()
    deep.parent.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    try:
        with LocalPostgres() as cluster:
            assert cluster.cluster_dir is not None and cluster.cluster_dir.is_relative_to(deep)
            [(socket_dir,)] = cluster.execute("SHOW unix_socket_directories")
            assert len(socket_dir) < 40 and Path(socket_dir).name.startswith("bulkdaq-pgsock-")
        assert not Path(socket_dir).exists()
    finally:
        deep.rmdir()
        deep.parent.rmdir()


def test_a_start_that_fails_names_the_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        cluster = LocalPostgres(tmp_path / "cluster", port=taken.getsockname()[1])
        try:
            with pytest.raises(PostgresUnavailable, match=r"postgres exited with code \d+; see .*postgres\.log") as raised:
                cluster.start()
            assert cluster.log_path.exists() and str(cluster.log_path) in str(raised.value)
            assert "could not" in cluster.log_path.read_text(encoding="utf-8")
        finally:
            cluster.stop()


def test_missing_binaries_say_how_to_install_them(tmp_path: Path) -> None:
    with pytest.raises(PostgresUnavailable, match=r"PostgreSQL is not installed; run scripts/setup.sh \(installs Debian's postgresql\)"):
        LocalPostgres(tmp_path / "cluster", bin_dir=tmp_path / "no-such-bin").start()
    assert not (tmp_path / "cluster").exists()
    assert newest_bin_dir(tmp_path) is None


def test_the_newest_major_is_chosen(tmp_path: Path) -> None:
    for major in ("9.6", "13", "15", "notaversion"):
        bin_dir = tmp_path / major / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("initdb", "postgres"):
            (bin_dir / name).write_text("#!/bin/sh\n")
            (bin_dir / name).chmod(0o755)
    (tmp_path / "16" / "bin").mkdir(parents=True)  # a major without its programs (a half-removed package)
    assert newest_bin_dir(tmp_path) == tmp_path / "15" / "bin"
