"""`make bench`'s runner: figures collected, targets judged, failures recorded, rows merged."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import pytest

from tests.helpers.paths import ROOT


def _load(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_run_all", module)     # dataclasses look it up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_all(tmp_path, monkeypatch):
    module = _load(monkeypatch)
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "run_all.py").write_text("")
    monkeypatch.setattr(module, "BENCH", bench)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "DOC", tmp_path / "docs" / "benchmarks.md")
    monkeypatch.setattr(module, "PYTHON", tmp_path / "no-venv-python")     # use sys.executable
    monkeypatch.setattr(module, "SIZES", {"slow": ([], {}, 1)})
    (tmp_path / "docs").mkdir()
    return module


def _bench(run_all, name: str, body: str) -> None:
    (run_all.BENCH / name).write_text(textwrap.dedent(body))


def test_figures_targets_failures_and_merge(run_all, capsys):
    _bench(run_all, "search.py", """
        print("papers: 100,000; terms: 5")          # prose, not a figure
        print("search_rank_p95: 3.5 ms")
        print("search_request_p95: 0.045 s")        # 45 ms: misses < 30 ms
        print("search_speedup_p95: 12.0 x")
    """)
    _bench(run_all, "broken.py", """
        import sys
        print("broken_partial: 1 x")
        sys.exit("could not open the corpus")
    """)
    _bench(run_all, "slow.py", "import time\ntime.sleep(30)\n")
    _bench(run_all, "load.sh", """
        echo "load_browse_rps: 250 req/s"
        echo "load_browse_errors: 3 count"
    """)
    run_all.DOC.write_text("# Benchmarks\n\nIntro kept.\n\n<!-- bench-table:start -->\n"
                           "| What | Figure | Target | Command |\n|---|---|---|---|\n"
                           "| `by_hand` | 1 s | - | `bench/manual.py` |\n"
                           "| `search_rank_p95` | 99 ms | old | `.venv/bin/python bench/search.py` |\n"
                           "<!-- bench-table:end -->\n\nNotes kept.\n")

    code = run_all.main(["--only", "search", "broken", "slow", "load", "absent"])

    assert code == 1
    doc = run_all.DOC.read_text()
    assert doc.startswith("# Benchmarks\n\nIntro kept.") and doc.rstrip().endswith("Notes kept.")
    rows = [line for line in doc.splitlines() if line.startswith("| ")]
    text = "\n".join(rows)
    assert "| `by_hand` | 1 s |" in text                                  # other rows kept
    assert "99 ms" not in text                                            # re-run rows replaced
    assert "| `search_rank_p95` | 3.5 ms | < 5 ms met |" in text
    assert "| `search_request_p95` | 0.045 s | < 30 ms **missed** |" in text
    assert "| `search_speedup_p95` | 12 x | >= 10 x met |" in text
    assert "papers" not in text.replace("bench/", "")
    assert "bench/broken: failed (exit 1): could not open the corpus" in text
    assert "| `broken_partial` | 1 x |" in text
    assert "bench/slow: timed out after 1 s" in text
    assert "| `load_browse_errors` | 3 count | = 0 count **missed** |" in text
    assert "bench/absent: missing" in text
    out = capsys.readouterr().out
    assert "search_rank_p95: 3.5 ms" in out.splitlines()


def test_a_partial_run_keeps_the_full_runs_note_and_names_itself(run_all):
    _bench(run_all, "trends.py", 'print("trends_series_p95: 0.8 ms")\n')
    _bench(run_all, "search.py", 'print("search_rank_p95: 1 ms")\n')
    run_all.DOC.write_text("# Benchmarks\n\n<!-- bench-table:start -->\n"
                           "Last `make bench`: 2026-01-01 00:00 UTC, 2 cores.\n\n"
                           "| What | Figure | Target | Command |\n|---|---|---|---|\n"
                           "<!-- bench-table:end -->\n")

    def notes() -> list[str]:
        return [line for line in run_all.DOC.read_text().splitlines() if line.startswith("Last ")]

    run_all.main(["--only", "trends"])
    run_all.main(["--only", "search"])
    run_all.main(["--only", "trends"])
    assert [n.split(":")[0] for n in notes()] == [
        "Last `make bench`", "Last `bench/run_all.py --only search`", "Last `bench/run_all.py --only trends`"]
    run_all.main([])                                       # a full run: one note again
    assert [n.split(":")[0] for n in notes()] == ["Last `make bench`"]


def test_a_new_doc_gets_the_table(run_all):
    run_all.DOC.unlink(missing_ok=True)
    _bench(run_all, "trends.py", 'print("trends_series_p95: 0.8 ms")\nprint("trends_hot_p95: 250 ms")\n')
    assert run_all.main(["--only", "trends"]) == 0
    doc = run_all.DOC.read_text()
    assert "| `trends_series_p95` | 0.8 ms | < 2 ms met |" in doc
    assert "| `trends_hot_p95` | 250 ms | < 200 ms **missed** |" in doc
    assert "| What | Figure | Target | Command |" in doc


def test_the_real_benches_are_discovered_with_a_size(monkeypatch):
    module = _load(monkeypatch)
    found = module.discover()
    assert "run_all" not in found and "load" in found
    assert found["load"].suffix == ".sh"
    argv, env, limit = module.command_for("load", found["load"])
    assert argv[0] == "bash" and env == {"LOAD_SECONDS": "15"}
    assert sum(module.SIZES[n][2] for n in module.SIZES) < 45 * 60          # bounded
