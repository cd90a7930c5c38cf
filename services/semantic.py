"""The semantic layer as the use-cases see it: the encoder, an index version's vectors, and
what to tell people about both.

Vectors arrive after their index version is published, so `vectors_of(index)` looks for
them again (one stat) at most every RECHECK_SECONDS until they appear: a worker turns
hybrid within seconds of the embedding stage finishing, without a restart. Everything here
answers None when there is no encoder or no vectors yet, and callers stay lexical.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from config import Settings
from recommend.ann import ANN_META, AnnIndex, ann_available, load_ann, read_ann_meta
from recommend.embedding import Encoder
from recommend.encoder_choice import EncoderSpecError, encoder_from_spec, encoder_name_from_spec
from recommend.index_vectors import VECTORS_META, Vectors, load_vectors, read_vectors_meta

if TYPE_CHECKING:   # recommend.index brings scipy, which `papersift status` does without
    from recommend.index import Index

log = logging.getLogger("papersift.semantic")
RECHECK_SECONDS = 2.0

_encoders: dict[str, Encoder | None] = {}
_encoder_lock = threading.Lock()
_Served = tuple[float, tuple[float, float], "Vectors | None", "AnnIndex | None"]
_vectors: weakref.WeakKeyDictionary[Index, _Served] = weakref.WeakKeyDictionary()
_vectors_lock = threading.Lock()


def encoder_for(settings: Settings) -> Encoder | None:
    """The configured encoder, loaded once per process; None when there is none (or it
    cannot be loaded: logged once, and the site stays lexical rather than failing)."""
    spec = settings.embedding_encoder
    with _encoder_lock:
        if spec not in _encoders:
            try:
                _encoders[spec] = encoder_from_spec(spec)
            except EncoderSpecError as exc:
                log.error("%s; search and recommendations stay lexical", exc)
                _encoders[spec] = None
        return _encoders[spec]


def vectors_of(index: Index | None) -> Vectors | None:
    """The index version's vectors (memory-mapped), or None until they are written."""
    return _served(index)[0]


def ann_of(index: Index | None) -> AnnIndex | None:
    """The version's ANN index for the vector side of search and similar papers, or None
    (small version, not built yet, or faiss missing): callers then take exact products."""
    return _served(index)[1]


def _served(index: Index | None) -> tuple[Vectors | None, AnnIndex | None]:
    """Vectors and ANN index of the version, looked for again when their sidecars change."""
    if index is None:
        return None, None
    now = time.monotonic()
    with _vectors_lock:
        checked, stamp, found, ann = _vectors.get(index, (-RECHECK_SECONDS, (-1.0, -1.0), None, None))
        if now - checked < RECHECK_SECONDS:
            return found, ann
        current = _stamp(index)
        if current != stamp:
            found = load_vectors(index.path, len(index)) if current[0] >= 0 else None
            ann = None
            if found is not None and current[1] >= 0:
                ann = load_ann(index.path, len(index), found.model)
        _vectors[index] = (now, current, found, ann)
        return found, ann


def vectors_mark(index: Index | None, settings: Settings) -> str:
    """What of the semantic layer a cached page was made with ("" for lexical only): the
    configured encoder too, so changing it (or turning it off) makes new pages."""
    vectors = vectors_of(index)
    if vectors is None:
        return ""
    hybrid = query_vectors(index, settings) is not None
    return (f"{vectors.model}:{vectors.covered}:{settings.embedding_encoder}:"
            f"{'hybrid' if hybrid else 'lexical'}")


def _stamp(index: Index) -> tuple[float, float]:
    return _mtime(index.path / VECTORS_META), _mtime(index.path / ANN_META)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return -1.0


def query_vectors(index: Index | None, settings: Settings) -> tuple[Encoder, Vectors] | None:
    """The encoder and the vectors when both exist and agree on the model (search needs a
    query encoded by the model the papers were)."""
    vectors = vectors_of(index)
    if vectors is None:
        return None
    encoder = encoder_for(settings)
    if encoder is None or encoder.name != vectors.model or encoder.dim != vectors.dim:
        return None
    return encoder, vectors


@dataclass(frozen=True)
class SemanticStatus:
    state: str                    # "ready", "stale", "building", "waiting", "unavailable"
    model: str = ""
    covered: int = 0
    papers: int = 0
    ann: str = ""                 # "built", "not built", "no library", "not needed" ("" without vectors)

    @property
    def hybrid(self) -> bool:
        return self.state == "ready"

    def line(self) -> str:
        """One line for `papersift status` and `doctor`."""
        if self.state == "ready":
            return f"{self.covered:,} of {self.papers:,} papers (model {self.model}); {self.ann_line()}"
        if self.state == "stale":
            return (f"{self.covered:,} of {self.papers:,} papers (model {self.model}), but that "
                    "model is not the configured encoder: search matches words only")
        if self.state == "building":
            return (f"being computed, {self.covered:,} of {self.papers:,} papers so far "
                    f"(model {self.model}); lexical only until they are ready")
        if self.state == "waiting":
            return f"not built yet (model {self.model}): lexical only; run `papersift embed`"
        return "not available: lexical only (no encoder installed)"

    def ann_line(self) -> str:
        """Whether vector search runs over the ANN index or exact products, and why."""
        if self.ann == "built":
            return "approximate nearest-neighbour index built"
        if self.ann == "not built":
            return "nearest-neighbour index not built yet (exact vector search); run `papersift embed`"
        if self.ann == "no library":
            return ("nearest-neighbour index unavailable (faiss not installed: pip install "
                    "'papersift[ann]'); exact vector search, slow at this size")
        return "exact vector search (below PAPERSIFT_ANN_MIN_PAPERS, no ANN index needed)"

    def to_json(self) -> dict:
        return {"state": self.state, "model": self.model, "covered": self.covered,
                "papers": self.papers, "hybrid": self.hybrid, "ann": self.ann}


def semantic_status(settings: Settings) -> SemanticStatus:
    """What the semantic layer of the current index version looks like now."""
    from domain import index_files

    version = index_files.current_version(settings.index_dir)
    meta = read_vectors_meta(settings.index_dir / version) if version else None
    try:
        name = encoder_name_from_spec(settings.embedding_encoder)
    except EncoderSpecError:
        name = None
    if meta is not None:
        # vectors of another model (or with no encoder to read queries) serve no search
        model = str(meta.get("model", "?"))
        state = "ready" if name is not None and name == model else "stale"
        papers = _count(meta.get("n_docs"))
        ann = _ann_state(settings.index_dir / version, settings, papers, model)
        return SemanticStatus(state, model, _count(meta.get("covered")), papers, ann)
    if name is None:
        return SemanticStatus("unavailable")
    from ingest.embeddings import read_progress

    progress = read_progress(settings, name)
    if version and progress and progress.get("version") == version:
        return SemanticStatus("building", name, _count(progress.get("done")), _count(progress.get("total")))
    return SemanticStatus("waiting", name)


def _ann_state(version_dir: Path, settings: Settings, papers: int, model: str) -> str:
    if papers <= settings.ann_min_papers:
        return "not needed"
    meta = read_ann_meta(version_dir)
    if meta is not None and meta.get("n_docs") == papers and meta.get("model") == model:
        return "built" if ann_available() else "no library"
    return "not built" if ann_available() else "no library"


def _count(value: object) -> int:
    """A count from a side file, 0 when it is missing or not a number (a hand-edited file)."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def search_note(index: Index | None, settings: Settings) -> str:
    """The search page's note when search is lexical only (empty when it is hybrid)."""
    if query_vectors(index, settings) is not None:
        return ""
    if encoder_for(settings) is None:
        return ("Matching words only: meaning-based search is not available on this "
                "installation (no embedding model).")
    return "Matching words only for now: meaning-based search starts once the papers' vectors are ready."
