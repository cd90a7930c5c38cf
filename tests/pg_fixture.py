"""PostgreSQL for the test run: a throwaway cluster, and a fresh schema per test.

The store and web tests run a second time against PostgreSQL (`make test` does this):

    PAPERSIFT_TEST_DB=postgresql .venv/bin/pytest tests/store tests/web tests/accounts \
        tests/search tests/recommend_web

starts a cluster with the server binaries of the `postgresql` apt package (initdb into
a temporary folder, a free loopback port, a private unix-socket folder, fsync off; as
root the server runs as the `postgres` user, as PostgreSQL refuses to run as root) and
stops it when the session ends. `PAPERSIFT_TEST_DATABASE_URL=postgresql+psycopg://...`
uses an existing server instead. Each test gets its own schema (put first on the
search_path through the URL), so tests never see each other's rows; it is dropped after.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from glob import glob
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.procs import free_port

ENV_BACKEND = "PAPERSIFT_TEST_DB"
ENV_URL = "PAPERSIFT_TEST_DATABASE_URL"
_schemas = itertools.count(1)


def find_binary(name: str) -> str:
    """The newest installed PostgreSQL server binary (they are not on PATH on Debian)."""
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: apt-get install -y postgresql")
    return found


class PgCluster:
    """A PostgreSQL server in a temporary folder, trusting local connections."""

    user = "papersift"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="papersift-pg-"))
        self.port = free_port()
        self.run_as = "postgres" if os.getuid() == 0 else None
        self.log = self.root / "server.log"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        data = self.root / "data"
        self._run(find_binary("initdb"), "-D", str(data), "-U", self.user, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(find_binary("pg_ctl"), "-D", str(data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(find_binary("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"


def _wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        eng = create_engine(url)
        try:
            with eng.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            eng.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """The test server's URL when the run targets PostgreSQL, else None (SQLite)."""
    url = os.environ.get(ENV_URL, "")
    if url:
        _wait_for(url)
        yield url
        return
    if os.environ.get(ENV_BACKEND, "sqlite").lower() not in {"postgresql", "postgres", "pg"}:
        yield None
        return
    cluster = PgCluster()
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(cluster.root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}")
    try:
        _wait_for(cluster.url)
        yield cluster.url
    finally:
        cluster.stop()


@contextlib.contextmanager
def fresh_schema(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema, dropped afterwards."""
    schema = f"t{os.getpid()}_{next(_schemas)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '5s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _database_url(postgres_url: str | None) -> Iterator[str]:
    """'' (SQLite in the data dir) or a PostgreSQL URL whose search_path is a fresh schema."""
    if postgres_url is None:
        yield ""
        return
    with fresh_schema(postgres_url) as url:
        yield url


@pytest.fixture
def database_url(postgres_url: str | None) -> Iterator[str]:
    """'' (SQLite in the data dir) or a PostgreSQL URL whose search_path is a fresh schema."""
    yield from _database_url(postgres_url)


@pytest.fixture(scope="session")
def session_database_url(postgres_url: str | None) -> Iterator[str]:
    """The same for apps built once per run (the sample corpus): one schema for the session."""
    yield from _database_url(postgres_url)
