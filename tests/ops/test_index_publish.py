"""One builder, many web machines, played by two data dirs on one machine.

The builder (data dir A) imports papers and builds index versions; the web machine (data
dir B, the same store as every web machine shares PostgreSQL) serves from its own index
folder, which `papersift index-publish` fills. The web machine must serve each published
version without a restart, never a half-copied one, and a second publish of the same
version must change nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from domain.index_files import TMP_PREFIX, current_version, versions
from ingest.pipeline import import_files
from services import index_holder
from tests.factories import add_papers, record
from tests.helpers.deploy import _get, _wait_healthy
from tests.helpers.paths import ROOT, TEST_DATA
from tests.procs import free_port, stop

CORPUS = TEST_DATA / "metadata" / "kaggle_arxiv_oai_snapshot_head200.jsonl"
NEW_PAPER = "2411.09999"
NEW_WORD = "quokkalattice"              # in no paper of CORPUS
SERVER_RECHECK_SECONDS = index_holder.RECHECK_SECONDS   # before a fixture sets it to 0 here


class Machines:
    """The builder's app and the web machine's app over one store, two data dirs."""

    def __init__(self, make_app, tmp_path: Path) -> None:
        self.builder = make_app()
        settings = self.builder.config["SETTINGS"]
        self.store_url = settings.db_url
        self.web_data = tmp_path / "web-machine"
        self.web_data.mkdir()
        self.web = make_app(data_dir=str(self.web_data), database_url=self.store_url)
        self.builder_index = settings.index_dir
        self.web_index = self.web.config["SETTINGS"].index_dir
        import_files(self.builder.extensions["papersift.engine"], [CORPUS], progress=False)

    def cli(self, *args: str):
        return self.builder.test_cli_runner().invoke(args=list(args))

    def build(self) -> str:
        result = self.cli("index", "--force")
        assert result.exit_code == 0, result.output
        return current_version(self.builder_index)

    def publish(self, *extra: str):
        result = self.cli("index-publish", str(self.web_index), *extra)
        assert result.exit_code == 0, result.output
        return result

    def add_new_paper(self) -> None:
        add_papers(self.builder.extensions["papersift.engine"], record(
            id=NEW_PAPER, title=f"Spin chains on the {NEW_WORD}",
            abstract=f"We study the {NEW_WORD}, a frustrated lattice of coupled spins.",
            published=datetime(2024, 11, 20)))


@pytest.fixture
def machines(make_app, tmp_path, monkeypatch) -> Machines:
    monkeypatch.setattr(index_holder, "RECHECK_SECONDS", 0.0)   # look at `current` every request
    return Machines(make_app, tmp_path)


def found_ids(client, query: str) -> list[str]:
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["paper"]["id"] for hit in response.get_json()["results"]]


def test_the_web_machine_serves_each_published_version_without_a_restart(machines):
    client = machines.web.test_client()
    machines.build()
    assert client.get("/api/search?q=lattice").status_code == 503        # nothing published yet
    first = machines.publish()
    assert "Published" in first.output and str(machines.web_index) in first.output
    assert found_ids(client, "lattice") and found_ids(client, NEW_WORD) == []

    machines.add_new_paper()
    version = machines.build()
    assert found_ids(client, NEW_WORD) == []                  # built, not yet published
    machines.publish()
    assert current_version(machines.web_index) == version
    assert found_ids(client, NEW_WORD) == [NEW_PAPER]
    assert client.get(f"/api/papers/{NEW_PAPER}").status_code == 200


def test_publishing_the_same_version_again_says_so_and_changes_nothing(machines):
    machines.build()
    machines.publish()
    before = sorted((p.name, p.lstat().st_mtime_ns) for p in machines.web_index.iterdir())
    again = machines.publish()
    assert "is already current" in again.output and "nothing to do" in again.output
    assert sorted((p.name, p.lstat().st_mtime_ns) for p in machines.web_index.iterdir()) == before
    report = json.loads(machines.publish("--json").output)
    assert report["changed"] is False and report["copied"] is False


def test_a_pulled_mirror_is_published_once_complete(machines):
    """The rsync pull: the builder's folder mirrored as `rsync -a` leaves it (the `current`
    link kept as a link), then `index-publish --from MIRROR`."""
    client = machines.web.test_client()
    version = machines.build()
    mirror = machines.web_data / "index-mirror"
    shutil.copytree(machines.builder_index, mirror, symlinks=True)
    (mirror / version / "ids.npy").unlink()                  # rsync caught half-way
    half = machines.cli("index-publish", "--from", str(mirror), str(machines.web_index))
    assert half.exit_code == 1 and "incomplete (missing ids.npy)" in half.output
    assert current_version(machines.web_index) is None
    shutil.copy2(machines.builder_index / version / "ids.npy", mirror / version / "ids.npy")
    machines.publish("--from", str(mirror))
    assert current_version(machines.web_index) == version
    assert found_ids(client, "lattice")


def test_old_versions_at_the_destination_outlive_the_grace_period(machines, make_app):
    first = machines.build()
    machines.publish()
    machines.build()
    machines.publish()
    third = machines.build()
    machines.publish()
    assert first in versions(machines.web_index)     # replaced minutes ago: within the 10
    impatient = make_app(index_grace_minutes=0)
    result = impatient.test_cli_runner().invoke(args=["index-publish", str(machines.web_index)])
    assert result.exit_code == 0, result.output
    assert first not in versions(machines.web_index)
    assert result.output == (f"{third} is already current in {machines.web_index}.\n"
                             f"Removed 1 old version(s) there: {first}.\n")
    assert current_version(machines.web_index) == third


@pytest.mark.parametrize(("dest", "message"), [
    ("notes.txt", "web-machine/notes.txt is a file, not an index folder"),
    ("missing/index", "web-machine/missing does not exist: create it (or mount the shared volume) first"),
    (".", "web-machine holds files that are not index versions (notes.txt, secret_key); it looks "
          "like a data folder: give its index folder, "),
])
def test_a_bad_destination_is_a_clear_error(machines, dest, message):
    machines.build()
    (machines.web_data / "notes.txt").write_text("not an index")
    result = machines.cli("index-publish", str(machines.web_data / dest))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output
    assert not machines.web_index.exists()


def test_nothing_built_yet_says_to_build_first(machines):
    result = machines.cli("index-publish", str(machines.web_index))
    assert result.exit_code == 1 and "build one first (`papersift index`)" in result.output


def test_the_web_machine_can_point_at_any_index_folder(make_app, tmp_path):
    folder = tmp_path / "shared-volume" / "index"
    web = make_app(index_root=str(folder))
    assert web.config["SETTINGS"].index_dir == folder


# a publish that copies one file, says so, then waits to be killed
SLOW_PUBLISH = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from recommend.index_publish import publish_version

    def wait(name):
        print(name, flush=True)
        time.sleep(60)

    publish_version(Path(sys.argv[1]), Path(sys.argv[2]), on_file=wait)
""")


@pytest.mark.slow
def test_a_publish_killed_mid_copy_leaves_the_old_version_serving(machines):
    client = machines.web.test_client()
    machines.build()
    machines.publish()
    old = current_version(machines.web_index)
    machines.add_new_paper()
    new = machines.build()
    proc = subprocess.Popen([sys.executable, "-c", SLOW_PUBLISH, str(machines.builder_index),
                             str(machines.web_index)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip()                 # one file copied, the rest to come
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    leftovers = [p for p in machines.web_index.iterdir() if p.name.startswith(TMP_PREFIX)]
    assert leftovers, "the publish finished before it was killed"
    assert current_version(machines.web_index) == old and versions(machines.web_index) == [old]
    assert found_ids(client, NEW_WORD) == [] and found_ids(client, "lattice")

    machines.publish()
    assert current_version(machines.web_index) == new
    assert found_ids(client, NEW_WORD) == [NEW_PAPER]


@pytest.mark.slow
def test_a_running_gunicorn_picks_up_a_published_version(machines):
    machines.build()
    machines.publish()
    port = free_port()
    env = _server_env(machines)
    proc = subprocess.Popen([str(Path(sys.executable).with_name("papersift")), "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                            cwd=machines.web_data, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/search?q={NEW_WORD}"
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert _total(url) == 0
        machines.add_new_paper()
        machines.build()
        machines.publish()
        deadline = time.monotonic() + 30
        while _total(url) != 1:
            assert time.monotonic() < deadline, "the served site never showed the new version"
            time.sleep(0.2)
        # each worker looks at `current` at most every RECHECK_SECONDS: past that, every
        # request, whichever worker takes it, finds the paper
        time.sleep(SERVER_RECHECK_SECONDS + 0.5)
        assert [_total(url) for _ in range(8)] == [1] * 8
        assert proc.poll() is None                            # the same server, not restarted
    finally:
        stop(proc)


def _total(url: str) -> int:
    status, body = _get(url)
    assert status == 200, body[:500]
    return json.loads(body)["total"]


def _server_env(machines: Machines) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPERSIFT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    env.update(PAPERSIFT_DATA_DIR=str(machines.web_data), DATABASE_URL=machines.store_url,
               PAPERSIFT_SCHEDULER="0", PAPERSIFT_PAGE_CACHE_SECONDS="0")
    return env
