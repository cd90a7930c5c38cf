"""Index build time and peak memory, on the sample corpus and on a synthetic 100k corpus.

    .venv/bin/python bench/index_build.py             # sample + 100k synthetic abstracts
    .venv/bin/python bench/index_build.py --quick     # sample + 10k (a quick look)
    .venv/bin/python bench/index_build.py --n 50000 --baseline

Each case runs in a fresh process so peak RSS figures do not mix. Peak RSS is the
case process's own peak (resource.getrusage) plus the peak of each worker process that
counts documents in parallel (VmHWM from /proc, polled while it runs): an upper bound,
as the peaks need not coincide. getrusage(RUSAGE_CHILDREN) is not used for workers
because on Linux it counts the parent's pages a child held between fork and exec.

The synthetic corpus resamples real text: each abstract is a run of random sentences
from real abstracts (the bundled sample, or BENCH_CORPUS: see bench/_data.py; as many
sentences as a random real abstract has), under a random real title, so word and bigram
frequencies look like arXiv's. The last lines print one figure each as `name: value unit`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommend.features import available_cores  # noqa: E402
from recommend.index import Doc, build_index  # noqa: E402
from recommend.text import document  # noqa: E402

SAMPLE_DIR = ROOT / "data" / "sample"
from _data import corpus  # noqa: E402

FALLBACK_SAMPLE_DOCS = 5000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                records.append(json.loads(line))
                if limit is not None and len(records) >= limit:
                    break
    return records


def sample_docs() -> tuple[str, list[Doc]]:
    """The bundled sample corpus, or the first 5,000 papers of the main corpus."""
    files = sorted(SAMPLE_DIR.glob("*.jsonl.gz"))
    if files:
        source, records = files[0].name, [r for f in files for r in read_jsonl(f)]
    else:
        source, records = corpus().name, read_jsonl(corpus(), FALLBACK_SAMPLE_DOCS)
    return source, [_doc(r) for r in records]


def _doc(r: dict) -> Doc:
    return Doc(r["id"], date.fromisoformat(r["listing_date"][:10]), tuple(r["categories"]),
               document(r["title"], r["summary"]))


def synthetic_docs(n: int, *, seed: int = 0) -> list[Doc]:
    """`iter_synthetic_docs` as a list."""
    return list(iter_synthetic_docs(n, seed=seed))


def iter_synthetic_docs(n: int, *, seed: int = 0) -> Iterator[Doc]:
    """n abstracts of random real sentences under random real titles, over 10 years, one
    at a time (at 2.9M papers the list of them held about 6 GB).

    Resampled sentences alone would cap the vocabulary at that of the real abstracts,
    while a real corpus keeps meeting new words (names of methods, datasets, people).
    So each word used by at most 100 real abstracts is respelled, per synthetic abstract,
    as one of n/400 variants ("foo" -> "fooqb"): at 100k that gives 3.1M distinct
    unigrams and bigrams, a little more than the 2.3M that the real abstracts' growth
    (Heaps' law, exponent 0.83 from 6k to 24k abstracts) predicts.
    """
    import numpy as np

    real = read_jsonl(corpus())
    rng = np.random.default_rng(seed)
    sentences, lengths = _sentence_pool(real)
    n_sent = lengths[rng.integers(len(real), size=n)]
    picks = rng.integers(len(sentences), size=int(n_sent.sum()))
    variants = rng.integers(max(1, n // VARIANT_EVERY), size=n)
    titles = rng.integers(len(real), size=n)
    days = rng.integers(3650, size=n)
    start, k = date(2016, 1, 1), 0
    for i in range(n):
        suffix = _suffix(int(variants[i]))
        abstract = " ".join(_respell(sentences[j], suffix) for j in picks[k:k + n_sent[i]])
        k += n_sent[i]
        r = real[titles[i]]
        yield Doc(f"9{i:07d}", start + timedelta(days=int(days[i])),
                  tuple(r["categories"]), document(r["title"], abstract))


def _sentence_pool(real: list[dict]) -> tuple[list[tuple[list[str], list[int]]], Any]:
    """Every sentence of the real abstracts (split around words, rare words marked) and each
    abstract's number of sentences (a numpy array)."""
    import numpy as np

    per_abstract = [_SENTENCE_END.split(" ".join(r["summary"].split())) for r in real]
    rare = _rare_words(per_abstract)
    sentences = [_pieces(s, rare) for ss in per_abstract for s in ss]
    return sentences, np.array([len(ss) for ss in per_abstract])


# a real arXiv paper's extracted text: about 30-60k characters, 5-10k words
FULLTEXT_CHARS = (30_000, 60_000)
FULLTEXT_STREAM = 7


def synthetic_fulltexts(k: int, *, seed: int = 0,
                        chars: tuple[int, int] = FULLTEXT_CHARS) -> Iterator[str]:
    """k full texts of random real sentences, each `chars` long (uniform in the range).

    A full text is a run of sections, each as many sentences as a random real abstract,
    and each section's rare words are respelled as one of synthetic_docs' variants: the
    vocabulary grows with the volume of text as it does for abstracts (a 45k-character
    full text adds to it about what 40 abstracts would)."""
    import numpy as np

    sentences, lengths = _sentence_pool(read_jsonl(corpus()))
    # a stream of its own: synthetic_docs' generator of the same seed picks the same
    # sentence numbers, which would copy the abstracts' text into the full texts
    rng = np.random.default_rng([FULLTEXT_STREAM, seed])
    mean_abstract = sum(len("".join(p)) + 1 for p, _ in sentences) / len(lengths)
    sections = k * sum(chars) / 2 / mean_abstract
    n_variants = max(1, int(sections) // VARIANT_EVERY)
    for target in rng.integers(chars[0], chars[1] + 1, size=k):
        out, size = [], 0
        while size < target:     # a section at a time, paragraphs as pdfminer leaves them
            suffix = _suffix(int(rng.integers(n_variants)))
            picks = rng.integers(len(sentences), size=int(lengths[rng.integers(len(lengths))]))
            out.append(" ".join(_respell(sentences[j], suffix) for j in picks))
            size += len(out[-1]) + 2
        yield "\n\n".join(out)


_WORD = re.compile(r"([^\W\d_]{3,})")
RARE_MAX_DF = 100
VARIANT_EVERY = 400


def _rare_words(per_abstract: list[list[str]]) -> set[str]:
    """Words (lowercase) found in at most RARE_MAX_DF real abstracts."""
    from collections import Counter

    df = Counter(w for ss in per_abstract for w in {m.lower() for s in ss for m in _WORD.findall(s)})
    return {w for w, c in df.items() if c <= RARE_MAX_DF}


def _pieces(sentence: str, rare: set[str]) -> tuple[list[str], list[int]]:
    """A sentence split around words, with the positions of its rare words."""
    parts = _WORD.split(sentence)
    return parts, [i for i in range(1, len(parts), 2) if parts[i].lower() in rare]


def _respell(pieces: tuple[list[str], list[int]], suffix: str) -> str:
    parts, rare_at = pieces
    if not rare_at or not suffix:
        return "".join(parts)
    parts = list(parts)
    for i in rare_at:
        parts[i] += suffix
    return "".join(parts)


def _suffix(variant: int) -> str:
    """"" for variant 0, else a short letter code (1 -> "b", 27 -> "bb")."""
    out = ""
    while variant:
        variant, r = divmod(variant, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[r]
    return out


def run_case(case: str, n: int, baseline: bool) -> dict:
    """Build one index in this process and measure it."""
    if case == "sample":
        source, docs = sample_docs()
    else:
        source, docs = f"synthetic from {corpus().name}", synthetic_docs(n)
    before_mb = _maxrss_mb(resource.RUSAGE_SELF)
    watcher = WorkerWatch()
    watcher.start()
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu_before = time.perf_counter(), _cpu_seconds()
        if baseline:
            n_terms = _sklearn_baseline(docs)
        else:
            n_terms = build_index(Path(tmp), docs, fingerprint="bench").n_terms
        seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    watcher.stop()
    self_mb = _maxrss_mb(resource.RUSAGE_SELF)
    worker_mb = sum(watcher.peaks_kb.values()) / 1024
    return {"case": case, "source": source, "n_docs": len(docs), "n_terms": n_terms,
            "seconds": seconds, "cpu_seconds": cpu, "corpus_rss_mb": before_mb, "self_peak_mb": self_mb,
            "worker_peak_mb": worker_mb, "workers": len(watcher.peaks_kb),
            "cores": available_cores(), "peak_rss_mb": self_mb + worker_mb}


class WorkerWatch(threading.Thread):
    """Polls the peak RSS (VmHWM) of every descendant process until stopped."""

    def __init__(self, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.every, self.peaks_kb, self._stop_event = every, {}, threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for pid in _descendants(_pid()):
                hwm = _vm_hwm_kb(pid)
                if hwm:
                    self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), hwm)
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _pid() -> int:
    import os

    return os.getpid()


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        kids = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += kids
        frontier = kids
    return found


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _sklearn_baseline(docs: list[Doc]) -> int:
    """scikit-learn's own vectoriser over all documents (what the index replaces)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from recommend.text import analyze

    vec = TfidfVectorizer(analyzer=analyze, token_pattern=None, sublinear_tf=True,
                          min_df=2, max_df=0.5, max_features=100_000, dtype="float32")
    vec.fit_transform([d.text for d in docs])
    return len(vec.vocabulary_)


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished workers."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


def _label(case: str, n: int) -> str:
    if case == "sample":
        return "sample"
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="synthetic abstracts (100000)")
    parser.add_argument("--quick", action="store_true", help="10k synthetic abstracts")
    parser.add_argument("--baseline", action="store_true",
                        help="also time scikit-learn's TfidfVectorizer on the synthetic corpus")
    parser.add_argument("--case", choices=["sample", "synthetic"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = args.n or (10_000 if args.quick else 100_000)
    if args.case:  # one measurement, in this fresh process
        print(json.dumps(run_case(args.case, n, args.baseline)))
        return 0
    cases = [("sample", False), ("synthetic", False)] + ([("synthetic", True)]
                                                         if args.baseline else [])
    results = [_in_fresh_process(case, n, baseline) for case, baseline in cases]
    for (case, baseline), r in zip(cases, results, strict=True):
        what = "sklearn TfidfVectorizer" if baseline else "build_index"
        print(f"# {case} ({r['source']}), {what}: {r['n_docs']} docs, {r['n_terms']} terms, "
              f"{r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU; "
              f"peak RSS {r['self_peak_mb']:.0f} MB in the build process "
              f"(corpus loaded: {r['corpus_rss_mb']:.0f} MB) + {r['workers']} worker processes "
              f"{r['worker_peak_mb']:.0f} MB in all; {r['cores']} cores")
    for (case, baseline), r in zip(cases, results, strict=True):
        name = f"index_build_{_label(case, n)}" + ("_sklearn_baseline" if baseline else "")
        print(f"{name}_seconds: {r['seconds']:.1f} s")
        print(f"{name}_cpu_seconds: {r['cpu_seconds']:.1f} s")
        print(f"{name}_peak_rss: {r['peak_rss_mb']:.0f} MB")
    return 0


def _in_fresh_process(case: str, n: int, baseline: bool) -> dict:
    cmd = [sys.executable, __file__, "--case", case, "--n", str(n)]
    cmd += ["--baseline"] if baseline else []
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
