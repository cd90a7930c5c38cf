"""A data dir with papers, an index and a user's library, and a large real-metadata file.

The baseline (sample corpus imported and indexed, a user with a tagged library, made with
the same commands an operator types) is built once per session and copied for every test,
so each test kills its own processes over its own copy.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.crash import TAG, Baseline, papersift
from tests.helpers.paths import SAMPLE_CORPUS, SAMPLE_DIR

COPIES = 12                     # 12 x 4,001 records: ~12 s of importing on this machine
USER = "crashtest"
PASSWORD = "a long enough password"


def sample_ids(n: int) -> list[str]:
    """The ids of the first `n` papers of the bundled sample corpus."""
    with gzip.open(SAMPLE_DIR / "arxiv_cs_sample.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(next(f))["id"] for _ in range(n)]


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    data_dir = tmp_path_factory.mktemp("crash-baseline") / "data"
    papersift("bootstrap", data_dir=data_dir)
    papersift("users", "create", USER, "--password-stdin", stdin=PASSWORD + "\n", data_dir=data_dir)
    ids = sample_ids(5)
    papersift("library", "add", "--user", USER, *ids[:3], data_dir=data_dir)
    papersift("library", "add", "--user", USER, "--tag", TAG, *ids[3:], data_dir=data_dir)
    return Baseline(data_dir, USER, frozenset(ids), frozenset(ids[3:]), papers=4001)


@pytest.fixture
def data_dir(baseline: Baseline, tmp_path: Path) -> Path:
    """A private copy of the baseline data dir (the index's `current` symlink kept as a link)."""
    copy = tmp_path / "data"
    shutil.copytree(baseline.data_dir, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """(path, records): the sample's real records repeated COPIES times under fresh valid ids."""
    path = tmp_path_factory.mktemp("crash-input") / "big.jsonl"
    with gzip.open(SAMPLE_CORPUS, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    months = [f"{y:02d}{m:02d}" for y in range(16, 20) for m in range(1, 13)]   # 1601..1912
    with path.open("w", encoding="utf-8") as out:
        for copy in range(COPIES):
            for number, rec in enumerate(records):
                out.write(json.dumps({**rec, "id": f"{months[copy]}.{number:05d}"}) + "\n")
    return path, COPIES * len(records)
