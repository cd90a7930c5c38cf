"""Publishing an index version to a web machine's index folder (`papersift index-publish`).

The bundled 4,001-paper sample is imported and indexed once into --data-dir with
`papersift bootstrap` (with the shipped encoder's vectors from `papersift embed --local`),
then its current version is published --runs times into a fresh folder each time:

- index_publish_seconds: `recommend.index_publish.publish_version` (every file copied
  and flushed to disk, the folder renamed, `current` pointed at it); median.
- index_publish_cp_seconds, the baseline, interleaved with the runs above so both see the
  same load: `cp -a` of the same version folder (no flush, no rename, no `current`), what
  an operator would otherwise type; median.
- index_publish_noop_seconds: publishing the same version again (nothing copied); median.
- index_publish_mb: the size of the version published.

    .venv/bin/python bench/index_publish.py [--runs 7] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.index_files import current_version, index_info  # noqa: E402
from recommend.index_publish import publish_version  # noqa: E402

BIN = Path(sys.executable).parent


def prepare(data_dir: Path) -> Path:
    """The sample store indexed (and embedded) in data_dir; returns its index folder."""
    env = {**os.environ, "PAPERSIFT_DATA_DIR": str(data_dir), "PAPERSIFT_SCHEDULER": "0"}
    for args in (["bootstrap"], ["embed", "--local"]):
        subprocess.run([str(BIN / "papersift"), *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return data_dir / "index"


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="papersift-publish-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        source = prepare(data_dir)
        version = current_version(source)
        assert version is not None, "bootstrap built no index"
        published, copied, noop = [], [], []
        for run in range(args.runs):
            dest = Path(tmp) / f"web-{run}" / "index"
            dest.parent.mkdir()
            published.append(timed(lambda d=dest: publish_version(source, d)))
            noop.append(timed(lambda d=dest: publish_version(source, d)))
            plain = Path(tmp) / f"cp-{run}"
            copied.append(timed(lambda p=plain: subprocess.run(
                ["cp", "-a", str(source / version), str(p)], check=True)))
            shutil.rmtree(dest.parent)
            shutil.rmtree(plain)
        info = index_info(source)
        print(f"index_publish_papers: {info.n_docs}")
        print(f"index_publish_mb: {info.size_bytes / 1e6:.1f} MB")
        print(f"index_publish_seconds: {statistics.median(published):.3f} s")
        print(f"index_publish_cp_seconds: {statistics.median(copied):.3f} s")
        print(f"index_publish_noop_seconds: {statistics.median(noop):.4f} s")


if __name__ == "__main__":
    main()
