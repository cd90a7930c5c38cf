"""`scripts/system-packages`, which `make test` runs first: installs only what is missing, as root;
otherwise runs nothing and prints the one command to run.

The script runs for real, with stand-ins for dpkg-query, apt-get, sudo and id first on PATH, so
no package is touched on this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers.paths import ROOT

SCRIPT = ROOT / "scripts" / "system-packages"
BASH = shutil.which("bash")
ALL = {"postgresql", "redis-server", "chromium", "fonts-liberation", "fonts-dejavu-core"}


def stand_ins(tmp_path: Path, *, installed: set[str], uid: int, apt: bool = True, sudo: bool = False) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    scripts = {
        "dpkg-query": f'for p in {" ".join(sorted(installed)) or "none"}; do\n'
                      '  [ "${@: -1}" = "$p" ] && { printf "install ok installed"; exit 0; }\ndone\nexit 1',
        "id": f'echo {uid}',
        "sudo": 'if [ "$1" = "-n" ]; then exit ' + ("0" if sudo else "1") + f'; fi\necho "sudo $*" >> {log}',
    }
    if apt:
        scripts["apt-get"] = f'echo "apt-get $*" >> {log}'
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!{BASH}\n" + body + "\n")
        path.chmod(0o755)
    for tool in ("bash", "grep"):           # PATH is this folder alone: the machine's apt-get is hidden
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return bin_dir


def run(tmp_path: Path, **options) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = stand_ins(tmp_path, **options)
    env = {**os.environ, "PATH": str(bin_dir)}
    result = subprocess.run([BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    log = tmp_path / "calls.log"
    return result, log.read_text().splitlines() if log.exists() else []


def test_nothing_is_installed_when_everything_is_present(tmp_path):
    result, calls = run(tmp_path, installed=ALL, uid=0)
    assert result.returncode == 0 and calls == [] and result.stdout == ""


def test_as_root_only_the_missing_packages_are_installed(tmp_path):
    result, calls = run(tmp_path, installed=ALL - {"redis-server", "chromium"}, uid=0)
    assert result.returncode == 0, result.stderr
    assert calls[0] == "apt-get update -qq"
    assert calls[1] == "apt-get install -y -qq --no-install-recommends redis-server chromium"
    assert "Installed: redis-server chromium" in result.stdout


def test_with_passwordless_sudo_it_installs_through_sudo(tmp_path):
    result, calls = run(tmp_path, installed=ALL - {"postgresql"}, uid=1000, sudo=True)
    assert result.returncode == 0, result.stderr
    assert calls == ["sudo apt-get update -qq",
                     "sudo apt-get install -y -qq --no-install-recommends postgresql"]


def test_without_root_it_stops_and_prints_the_one_command(tmp_path):
    result, calls = run(tmp_path, installed=ALL - {"redis-server"}, uid=1000)
    assert result.returncode == 1 and calls == []
    assert "missing: redis-server" in result.stderr
    assert "sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends redis-server'" \
        in result.stderr


def test_without_apt_it_stops_and_names_what_to_install(tmp_path):
    result, calls = run(tmp_path, installed=ALL - {"chromium"}, uid=0, apt=False)
    assert result.returncode == 1 and calls == []
    assert "missing: chromium" in result.stderr and "no apt-get" in result.stderr


def test_make_test_runs_it_before_anything_else():
    makefile = (ROOT / "Makefile").read_text()
    assert "test: system-packages $(VENV)/.installed-dev" in makefile
    assert "exec make test" in (ROOT / ".ci" / "run").read_text()
