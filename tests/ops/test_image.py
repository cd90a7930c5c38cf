"""The image, rehearsed without Docker: only what the Dockerfile's COPY lines bring (after
.dockerignore) is laid out as the image's /app, and the entrypoint runs from there.

This catches what a lint cannot: a module, template or data file the app needs at run
time that the Dockerfile forgets to copy, or that .dockerignore drops. Third-party
packages come from the test environment, but papersift itself only from the copied tree
(the environment's editable install of the repository is not on the path).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers.deploy import _get, _instructions, _one, _wait_healthy
from tests.helpers.paths import ROOT
from tests.procs import free_port


def _ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _regex(pattern: str) -> re.Pattern:
    """Docker's (Go's) glob: * and ? stay within one folder, **/ spans any number of them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i:end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _matches(rel: str, pattern: str) -> bool:
    """A pattern (anchored at the context's root) matches a path or any folder above it."""
    regex = _regex(pattern.strip("/"))
    parts = rel.split("/")
    return any(regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts) + 1))


def dockerignored(rel: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _matches(rel, pattern.lstrip("!")):
            ignored = not negated
    return ignored


def assemble_image(root: Path) -> Path:
    """Lay out the image's files under `root` as the Dockerfile's COPY lines would; /app."""
    patterns = _ignore_patterns()
    workdir = root / _one("WORKDIR").lstrip("/")
    for word, rest in _instructions():
        if word != "COPY":
            continue
        *sources, dest = rest.split()
        target = root / dest.lstrip("/") if dest.startswith("/") else workdir / dest
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    rel = file.relative_to(ROOT).as_posix()
                    if not dockerignored(rel, patterns):
                        out = target / file.relative_to(path)
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(file, out)
            else:
                out = target / path.name if dest.endswith("/") else target
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, out)
    return workdir


def python_without_papersift(root: Path) -> Path:
    """A venv seeing the test environment's packages but not its papersift; its bin folder."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # a path listed in a .pth file is added without running that folder's own .pth files,
    # so the editable install's finder for the repository stays out
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = venv / "bin" / "papersift"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom app import cli\nsys.exit(cli())\n")
    script.chmod(0o755)
    return venv / "bin"


@pytest.fixture
def image(tmp_path):
    app_dir = assemble_image(tmp_path / "image")
    entry = tmp_path / "image" / "usr" / "local" / "bin" / "papersift-entrypoint"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPERSIFT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PYTHON"))}
    env.update(PATH=f"{python_without_papersift(tmp_path)}{os.pathsep}/usr/bin{os.pathsep}/bin",
               PYTHONPATH=str(app_dir), PAPERSIFT_DATA_DIR=str(tmp_path / "data"), PAPERSIFT_SCHEDULER="0")
    return app_dir, entry, env


def test_dockerignore_keeps_caches_tests_and_state_out_at_any_depth():
    patterns = _ignore_patterns()
    for rel in ("web/__pycache__/app.cpython-311.pyc", "store/x.pyc", ".venv/bin/python", "tests/conftest.py",
                "data/papersift.db", "data/index/current"):
        assert dockerignored(rel, patterns), rel
    for rel in ("web/app.py", "data/sample/arxiv_cs_sample.jsonl.gz", "static/css/site.css",
                "recommend/tests_helpers.py", "web/data/x"):
        assert not dockerignored(rel, patterns), rel


@pytest.mark.slow
def test_the_image_tree_loads_the_sample_and_serves_it(image):
    app_dir, entry, env = image
    assert not (app_dir / "tests").exists() and not list(app_dir.rglob("__pycache__"))
    loaded = subprocess.run(["sh", str(entry), "bootstrap"], cwd=app_dir, env=env,
                            capture_output=True, text=True, timeout=240)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "4,001" in loaded.stdout + loaded.stderr

    port = free_port()
    proc = subprocess.Popen(["sh", str(entry), "web"], cwd=app_dir,
                            env={**env, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/healthz", proc)
        assert _get(f"{base}/readyz")[0] == 200                       # store and index loaded
        status, body = _get(f"{base}/")
        assert status == 200 and body.count(b'data-paper-id=') >= 10
        assert _get(f"{base}/search?q=speech+recognition")[0] == 200
        assert _get(f"{base}/trends?q=transformer")[0] == 200
        assert _get(f"{base}/static/css/site.css")[0] == 200
        assert _get(f"{base}/static/vendor/katex-0.19.1/katex.min.js")[0] == 200
        # the container's HEALTHCHECK command, as Docker would run it
        check = json.loads(_one("HEALTHCHECK").split("CMD", 1)[1])
        assert check[0] == "python"
        probe = subprocess.run([str(Path(env["PATH"].split(os.pathsep)[0]) / "python"), *check[1:]],
                               env={**env, "PORT": str(port)}, capture_output=True, timeout=30)
        assert probe.returncode == 0, probe.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 0, output
    assert "Traceback" not in output
