"""Search fixtures: the sample corpus imported and indexed once, and a small synthetic index."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.helpers.paths import SAMPLE_DIR

SAMPLE = SAMPLE_DIR / "arxiv_cs_sample.jsonl.gz"


@pytest.fixture(scope="package")
def sample_records() -> list[dict]:
    with gzip.open(SAMPLE, "rt") as fh:
        return [json.loads(line) for line in fh]
