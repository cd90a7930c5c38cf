"""`papersift run-all`, what `make run` ends with: one process serving the site with a
production WSGI server while the scheduler thread works beside it."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from tests.helpers.deploy import BIN, _get, _wait_healthy
from tests.procs import free_port


@pytest.mark.slow
def test_run_all_serves_beside_the_scheduler_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPERSIFT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    env.update(PAPERSIFT_DATA_DIR=str(tmp_path / "data"), PAPERSIFT_SCHEDULER="1",
               PAPERSIFT_ARXIV_API_URL=f"http://127.0.0.1:{free_port()}/api/query",   # nobody there
               PAPERSIFT_ARXIV_RETRIES="0", PAPERSIFT_ARXIV_DELAY="0")
    proc = subprocess.Popen([str(BIN / "papersift"), "run-all", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        status, body = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"papersift" in body
        assert _get(f"http://127.0.0.1:{port}/static/css/site.css")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 0, output
    assert f"Serving papersift on http://127.0.0.1:{port}/" in output
    assert "scheduler started in the background" in output
    assert "development server" not in output and "Traceback" not in output
    assert "Stopped." in output
