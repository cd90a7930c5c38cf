"""Incremental search updates equal a full build: every part, and every search result."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy import sparse

from recommend.index import Doc, build_index, load_index
from recommend.index_update import update_index
from recommend.search import build_search_parts, search_index
from recommend.search import search as run_search
from recommend.search_query import parse_query
from recommend.search_update import NeedsFullBuild, iter_search_parts, update_search_parts
from recommend.snippets import suggest
from recommend.text import document

FILLER = "We study learning with models on data and report results on benchmarks."


class _Index:
    """The few attributes of recommend.index.Index that search reads."""

    def __init__(self, docs: list[Doc]) -> None:
        self.ids = np.array([d.id for d in docs], dtype=str)
        self.published = np.array([d.published for d in docs], dtype="datetime64[D]")
        self.parts = build_search_parts(self, docs)

    def __len__(self) -> int:
        return len(self.ids)


def doc(pid: str, title: str, abstract: str, *, authors=("Ada Lovelace",), cats=("cs.LG",),
        day: date = date(2024, 1, 1)) -> Doc:
    return Doc(pid, day, tuple(cats), document(title, abstract), False, title, tuple(authors))


def sample_docs(records: list[dict]) -> list[Doc]:
    return [doc(r["id"], r["title"], r["summary"], authors=r["authors"],
                cats=r["categories"], day=date.fromisoformat(r["listing_date"]))
            for r in records]


def updated(base_docs: list[Doc], keep: np.ndarray, new_docs: list[Doc]):
    """The update's parts and the full build's, over the same papers."""
    base = _Index(base_docs)
    result = [d for d, k in zip(base_docs, keep, strict=True) if k] + new_docs
    full = _Index(result)
    got = update_search_parts(base, keep, new_docs, full)
    return got, full.parts, result


def assert_same_parts(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        other = got[name]
        if sparse.issparse(value):
            assert sparse.issparse(other) and other.format == value.format, name
            assert other.shape == value.shape, name
            for attr in ("indptr", "indices", "data"):
                a, b = getattr(other, attr), getattr(value, attr)
                assert np.array_equal(a, b), f"{name}.{attr}"
                assert a.dtype == b.dtype, f"{name}.{attr} dtype"
        else:
            assert np.array_equal(np.asarray(other), np.asarray(value)), name
            assert np.asarray(other).dtype.kind == np.asarray(value).dtype.kind, name


QUERIES = ["graph neural networks", '"object detection"', "GNN", "transformer attention",
           "au:zhao", "cat:cs.CV learning", "reinforcment lerning", "diffusion models images",
           "language models", "federated"]


def assert_same_results(got_parts: dict, want_parts: dict, result: list[Doc]) -> None:
    got, want = _Index(result), _Index(result)
    got.parts = got_parts
    got_si, want_si = search_index(got), search_index(want)
    for text in QUERIES:
        q = parse_query(text)
        a, b = run_search(got_si, q, limit=50), run_search(want_si, q, limit=50)
        assert (a.total, a.all_words, a.missing, a.also_searched) == (
            b.total, b.all_words, b.missing, b.also_searched), text
        assert [h[0] for h in a.hits] == [h[0] for h in b.hits], text
        assert np.allclose([h[1] for h in a.hits], [h[1] for h in b.hits], atol=1e-6), text
        assert suggest(got_si, text.split()) == suggest(want_si, text.split()), text


@pytest.fixture(scope="module")
def corpus(sample_records) -> list[Doc]:
    return sample_docs(sample_records[:400])


def test_adding_papers_equals_a_full_build(corpus):
    base_docs, new_docs = corpus[:300], corpus[300:400]
    got, want, result = updated(base_docs, np.ones(300, dtype=bool), new_docs)
    assert_same_parts(got, want)
    assert_same_results(got, want, result)


def test_removed_and_revised_papers_equal_a_full_build(corpus):
    base_docs = corpus[:350]
    rng = np.random.default_rng(7)
    keep = rng.random(350) > 0.2
    revised = [d._replace(text=d.text + " Revised with a new section on quantum annealing.")
               for d, k in zip(base_docs, keep, strict=True) if not k][:20]
    got, want, result = updated(base_docs, keep, revised + corpus[350:380])
    assert_same_parts(got, want)
    assert_same_results(got, want, result)


def test_an_empty_delta_gives_the_same_parts(corpus):
    got, want, _ = updated(corpus[:200], np.ones(200, dtype=bool), [])
    assert_same_parts(got, want)


def test_removing_only_papers_drops_terms_no_paper_holds(corpus):
    unique = doc("x1", "Zyxwv widgets", "The zyxwv widget framework for qwertyuiop parsing.",
                 authors=("Quinn Zanzibar",), cats=("q-bio.XX",))
    base_docs = [*corpus[:100], unique]
    keep = np.ones(101, dtype=bool)
    keep[-1] = False
    got, want, result = updated(base_docs, keep, [])
    assert_same_parts(got, want)
    si = _Index(result)
    si.parts = got
    terms = search_index(si).terms
    assert terms.find("zyxwv") is None and search_index(si).author_terms.find("zanzibar") is None


def test_a_word_in_one_old_and_one_new_paper_becomes_a_suggestion():
    base_docs = [doc(f"b{i}", f"Paper {i}", f"{FILLER} number {i}") for i in range(5)]
    base_docs.append(doc("b5", "Rare", f"The frobnicator method. {FILLER}"))
    new_docs = [doc("n0", "Again", f"A frobnicator again. {FILLER}")]
    got, want, result = updated(base_docs, np.ones(6, dtype=bool), new_docs)
    assert_same_parts(got, want)
    si = _Index(result)
    si.parts = got
    assert search_index(si).words.find("frobnicator") is not None
    assert suggest(search_index(si), ["frobnicatr"]) == suggest(search_index(_Index(result)),
                                                                ["frobnicatr"])


def test_an_acronym_learned_from_new_papers_finds_the_long_form():
    defining = [doc(f"d{i}", f"Paper {i}", f"Graph neural networks (GNNs) for molecules {i}. "
                    f"{FILLER}") for i in range(3)]
    base_docs = [*defining[:2], doc("o", "Other", f"A graph neural network for traffic. {FILLER}")]
    base = _Index(base_docs)
    assert not base.parts["search_acronyms"].size
    got, want, result = updated(base_docs, np.ones(3, dtype=bool), defining[2:])
    assert_same_parts(got, want)
    assert list(got["search_acronyms"])
    si = _Index(result)
    si.parts = got
    hits = run_search(search_index(si), parse_query("GNN")).hits
    assert "o" in [h[0] for h in hits]


def test_removing_a_definition_unlearns_the_acronym():
    defining = [doc(f"d{i}", f"Paper {i}", f"Graph neural networks (GNNs) for molecules {i}. "
                    f"{FILLER}") for i in range(3)]
    got, want, _ = updated([*defining, doc("o", "Other", FILLER)],
                           np.array([True, False, True, True]), [])
    assert_same_parts(got, want)
    assert not got["search_acronyms"].size


def test_removing_every_paper_builds_from_the_new_ones(corpus):
    got, want, _ = updated(corpus[:50], np.zeros(50, dtype=bool), corpus[50:60])
    assert_same_parts(got, want)


def test_new_papers_without_text_or_authors(corpus):
    bare = Doc("e1", date(2024, 1, 1), ("math.AG",), "", False, "", ())
    got, want, _ = updated(corpus[:40], np.ones(40, dtype=bool), [bare])
    assert_same_parts(got, want)


def test_a_keep_of_the_wrong_length_is_refused(corpus):
    base = _Index(corpus[:20])
    with pytest.raises(ValueError, match="one flag per paper"):
        update_search_parts(base, np.ones(19, dtype=bool), [], _Index(corpus[:19]))
    with pytest.raises(ValueError, match="boolean"):
        update_search_parts(base, np.ones(20, dtype=int), [], _Index(corpus[:20]))
    with pytest.raises(ValueError, match="new index has"):
        update_search_parts(base, np.ones(20, dtype=bool), [], _Index(corpus[:19]))


def test_a_version_without_update_state_needs_a_full_build(corpus):
    base = _Index(corpus[:20])
    del base.parts["search_text_tf"]
    with pytest.raises(NeedsFullBuild, match="search_text_tf"):
        update_search_parts(base, np.ones(20, dtype=bool), [], _Index(corpus[:20]))


def test_update_of_a_stored_version_equals_the_stored_full_build(tmp_path, corpus):
    base_docs, new_docs = corpus[:120], corpus[120:150]
    keep = np.ones(120, dtype=bool)
    keep[::7] = False
    result = [d for d, k in zip(base_docs, keep, strict=True) if k] + new_docs
    build_index(tmp_path / "a", base_docs, fingerprint="a", extra=[build_search_parts])
    build_index(tmp_path / "b", result, fingerprint="b", extra=[build_search_parts])
    base, full = load_index(tmp_path / "a"), load_index(tmp_path / "b")
    got = update_search_parts(base, keep, new_docs, full)
    assert_same_parts(got, {k: v for k, v in full.parts.items() if k.startswith("search_")})


def test_a_version_updated_part_by_part_has_the_same_files_as_one_updated_at_once(
        tmp_path, corpus):
    # the update writes each part iter_search_parts hands over before the next is merged
    # (issue 21: the update's memory); the files must be the ones the whole dict gives
    base_docs, new_docs = corpus[:120], corpus[120:150]
    keep = np.ones(120, dtype=bool)
    keep[::7] = False
    result = [d for d, k in zip(base_docs, keep, strict=True) if k] + new_docs
    build_index(tmp_path / "full", result, fingerprint="b", extra=[build_search_parts])
    versions = {}
    for name, updater in (("streamed", iter_search_parts), ("whole", update_search_parts)):
        root = tmp_path / name
        build_index(root, base_docs, fingerprint="a", extra=[build_search_parts])
        info = update_index(root, load_index(root), keep, new_docs, fingerprint="b",
                            updaters=[updater])
        versions[name] = root / info.version
    files = sorted(p.name for p in versions["whole"].glob("search_*.npy"))
    assert files == sorted(p.name for p in versions["streamed"].glob("search_*.npy"))
    assert "search_text.data.npy" in files and "search_acronym_ids.npy" in files
    for name in files:
        assert ((versions["streamed"] / name).read_bytes()
                == (versions["whole"] / name).read_bytes()), name
    streamed, full = load_index(tmp_path / "streamed"), load_index(tmp_path / "full")
    assert_same_parts({k: v for k, v in streamed.parts.items() if k.startswith("search_")},
                      {k: v for k, v in full.parts.items() if k.startswith("search_")})


def test_new_terms_in_other_scripts_and_long_terms_sort_into_place():
    base_docs = [doc("b0", "Greek letters", f"The αλφα βητα method and supercalifragilistic "
                     f"models. {FILLER}"),
                 doc("b1", "Kana", f"The かな model of 漢字 writing. {FILLER}"),
                 doc("b2", "Plain", f"Superconducting qubits and superconductivity. {FILLER}")]
    new_docs = [doc("n0", "More", f"The αβγ δελτα method, supercalifragilisticexpialidocious "
                    f"models, superconductingly qubit かなり. {FILLER}", authors=("Ωmega Ñandú",))]
    got, want, result = updated(base_docs, np.array([True, False, True]), new_docs)
    assert_same_parts(got, want)
    si = _Index(result)
    si.parts = got
    for term in ("αβγ", "supercalifragilisticexpialidoci", "βητα"):
        found = search_index(si).terms.find(term) is not None
        assert found == (search_index(_Index(result)).terms.find(term) is not None), term


def test_a_count_beyond_16_bits_widens_the_stored_counts_and_narrows_when_removed():
    plain = [doc(f"b{i}", f"Paper {i}", f"{FILLER} number {i}") for i in range(3)]
    huge = doc("h", "Repetition", "tokamak " * 70_000)
    got, want, _ = updated(plain, np.ones(3, dtype=bool), [huge])
    assert_same_parts(got, want)
    assert got["search_text_tf"].dtype == np.uint32
    got, want, _ = updated([*plain, huge], np.array([True, True, True, False]),
                             [doc("n0", "New", FILLER)])
    assert_same_parts(got, want)
    assert got["search_text_tf"].dtype == np.uint16
