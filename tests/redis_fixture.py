"""A real redis-server on a free loopback port, for tests of locks, queues and caches.

Import the fixture into a conftest: `from tests.redis_fixture import redis_server`.
It yields the server's URL (redis://127.0.0.1:PORT/0). The test fails (it is not skipped)
when the redis-server binary is missing: install it with `apt-get install redis-server`
(it is in .ci/run's APT_PACKAGES).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.procs import free_port, stop


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not answer PING within 10 s")


@pytest.fixture
def redis_server(tmp_path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc, timeout=5)
