"""First-page thumbnails for browse cards, rendered with PDFium (pypdfium2) into the data dir.

Rendering runs inside the isolated extraction child (ingest.extract), so a PDF that
crashes PDFium takes down a throwaway process, never the pipeline.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

THUMB_WIDTH = 120  # CSS pixels on a card (site.css .thumb); rendered at 2x for sharp screens
RENDER_WIDTH = THUMB_WIDTH * 2


def thumb_name(paper_id: str) -> str:
    """File name of a paper's thumbnail; old-style ids (`hep-th/9901001`) lose their slash."""
    return paper_id.replace("/", "_") + ".png"


def thumb_path(thumb_dir: Path, paper_id: str) -> Path:
    return thumb_dir / thumb_name(paper_id)


def render_thumbnail(pdf: Path, dest: Path, *, width: int = RENDER_WIDTH) -> Path:
    """Render the first page of `pdf` to a PNG `width` pixels wide, written atomically."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[0]
        scale = width / max(page.get_width(), 1.0)
        image = page.render(scale=scale).to_pil().convert("RGB").quantize(colors=64)
        page.close()
    finally:
        doc.close()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, format="PNG", optimize=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
