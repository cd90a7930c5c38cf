"""Crash tests: running papersift as a subprocess on a data dir, and the baseline store they start from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TAG = "keep"


@dataclass(frozen=True)
class Baseline:
    data_dir: Path
    user: str
    library: frozenset[str]       # paper ids saved by USER
    tagged: frozenset[str]        # the ones tagged TAG
    papers: int


def papersift(*args: str, data_dir: Path, stdin: str | None = None, check: bool = True,
              timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a papersift command over `data_dir` as an operator would."""
    proc = subprocess.run([*papersift_command(), *args], env=papersift_env(data_dir), input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=data_dir.parent)
    if check:
        assert proc.returncode == 0, f"papersift {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def papersift_command() -> list[str]:
    script = Path(sys.executable).with_name("papersift")
    return [str(script)] if script.exists() else [shutil.which("papersift") or "papersift"]


def papersift_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PAPERSIFT_") and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(PAPERSIFT_DATA_DIR=str(data_dir), PAPERSIFT_SCHEDULER="0", PYTHONUNBUFFERED="1")
    return env
