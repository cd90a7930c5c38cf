"""SIGKILL `papersift embed` mid-way: finished batches survive and the next run resumes."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time

import pytest

from ingest import indexing
from ingest.embedding_cache import BATCH_FILE, EmbeddingCache, encoder_dir
from ingest.embeddings import embed_current_index
from recommend.index import load_index
from recommend.index_vectors import load_vectors
from tests.factories import add_papers
from tests.helpers.crash import papersift_command, papersift_env
from tests.helpers.paths import ROOT
from tests.semantic.corpus import corpus
from tests.semantic.encoder import DIM, HashedWordEncoder

pytestmark = pytest.mark.slow
BATCH = 4


def test_kill_9_mid_run_loses_at_most_one_batch(engine, settings, data_dir):
    papers = corpus()
    add_papers(engine, *papers)
    indexing.build(engine, settings, force=True)
    env = papersift_env(data_dir) | {
        "PAPERSIFT_EMBEDDING_ENCODER": "tests.semantic.encoder:slow_encoder",
        "PAPERSIFT_EMBEDDING_BATCH": str(BATCH), "PAPERSIFT_TEST_ENCODE_DELAY": "0.3",
        "PYTHONPATH": str(ROOT)}
    folder = encoder_dir(settings.embeddings_dir, "test-hashed-words")
    proc = subprocess.Popen([*papersift_command(), "embed", "--local"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (folder.is_dir() and len([p for p in folder.iterdir() if BATCH_FILE.match(p.name)]) >= 3):
        assert proc.poll() is None, f"embed ended before it was killed: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "timed out waiting for three batches"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stderr.close()

    index = load_index(settings.index_dir)
    assert load_vectors(index.path, len(index)) is None          # the site stays lexical
    saved = EmbeddingCache(folder, DIM)                           # every batch file reads whole
    assert BATCH * 3 <= len(saved.vectors) < len(papers)
    enc = HashedWordEncoder()
    result = embed_current_index(engine, dataclasses.replace(settings, embedding_batch=BATCH), enc)
    assert result.status == "built" and result.covered == len(papers)
    assert result.encoded == len(papers) - len(saved.vectors)    # only what the kill lost
