"""Text quality of the two extraction engines on the real PDFs (feeds docs/pdf_engines.md).

    .venv/bin/python bench/pdf_quality.py

Per PDF and engine: characters, words, glued words (longer than 25 letters: missing
spaces), stray single letters (broken words, rotated margin stamps), whether the title
comes out as a phrase, seconds in this process; and per PDF the overlap of the index terms
(unigrams + bigrams from recommend.text.analyze) the two engines give. Figures last.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _data import PDFS  # noqa: E402

from ingest.extract import ExtractResult, extract_in_process, normalise, pdfminer_engine  # noqa: E402
from recommend.text import analyze  # noqa: E402

TITLES = {
    "arxiv_1111.2011v2.pdf": "Quantum Criticality for Extended Nodes on a Bethe Lattice",
    "acl2020_s2orc_2020.acl-main.447.pdf": "S2ORC: The Semantic Scholar Open Research Corpus",
    "arxiv_2206.10883v3.pdf": "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits",
    "arxiv_2304.02623v1.pdf": "Beyond Summarization: Designing AI Support for Real-World Expository Writing",
    "arxiv_2305.03393v1_page9_only.pdf": "Optimized Table Tokenization for Table Structure Recognition",
    "naacl2006_shinyama_preemptive_ie.pdf": "Preemptive Information Extraction using Unrestricted Relation",
    "eacl2023_longeval_2023.eacl-main.121.pdf": "a set of guidelines for human evaluation of faithfulness",
}
GLUED = re.compile(r"[A-Za-z]{26,}")
STRAY = re.compile(r"(?<!\S)[A-Za-z](?!\S)")


def measure(path: Path, engine: str) -> dict:
    start = time.perf_counter()
    if engine == "pdfminer":     # the raw engine, without the PDFium fallback
        raw, pages = pdfminer_engine(str(path))
        result = ExtractResult("ok", text=normalise(raw), pages=pages)
    else:
        result = extract_in_process(str(path), engine)
    seconds = time.perf_counter() - start
    words = result.text.split()
    flat = " ".join(words)
    return {"chars": result.chars, "words": len(words), "pages": result.pages, "seconds": seconds,
            "glued": sum(1 for w in words if GLUED.search(w)) / max(1, len(words)),
            "stray": len(STRAY.findall(flat)) / max(1, len(words)),
            "title": TITLES[path.name] in flat, "terms": set(analyze(result.text))}


def main() -> None:
    totals = {"pdfminer": [0, 0.0, 0, 0], "pdfium": [0, 0.0, 0, 0]}
    print("| PDF | engine | chars | glued words | stray letters | title phrase | s |")
    print("|---|---|---|---|---|---|---|")
    overlaps = []
    for name in TITLES:
        rows = {e: measure(PDFS / name, e) for e in ("pdfminer", "pdfium")}
        for engine, m in rows.items():
            print(f"| {name} | {engine} | {m['chars']:,} | {m['glued']:.1%} | {m['stray']:.1%} | "
                  f"{'yes' if m['title'] else 'no'} | {m['seconds']:.2f} |")
            t = totals[engine]
            t[0] += m["pages"]
            t[1] += m["seconds"]
            t[2] += m["title"]
            t[3] += m["words"]
        a, b = rows["pdfminer"]["terms"], rows["pdfium"]["terms"]
        overlaps.append(len(a & b) / max(1, len(a | b)))
        print(f"| {name} | term overlap | {overlaps[-1]:.0%} | | | | |")
    for engine, (pages, seconds, titles, _words) in totals.items():
        print(f"{engine}_pages_per_s_in_process: {pages / seconds:.1f} pages/s")
        print(f"{engine}_titles_found: {titles} of {len(TITLES)}")
    print(f"median_term_overlap: {sorted(overlaps)[len(overlaps) // 2]:.2f} jaccard")


if __name__ == "__main__":
    main()
