"""arXiv identifiers, old style (`hep-th/9901001`) and new style (`2101.01234`), with versions.

Pure functions. A paper's identity in papersift is its id without version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW = re.compile(r"(?P<id>(?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5}))(?:v(?P<v>[0-9]+))?")
# old style: archive[.SUBJECT-CLASS]/YYMMNNN; the subject class is not part of the id
_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?/(?P<num>[0-9]{7})(?:v(?P<v>[0-9]+))?"
)
_PREFIX = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)", re.IGNORECASE
)


class ArxivIdError(ValueError):
    """The text is not an arXiv identifier."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, `arXiv:` id or arxiv.org abs/pdf URL into (id, version)."""
    if not isinstance(text, str):
        raise ArxivIdError(f"not an arXiv id: {text!r}")
    s = _PREFIX.sub("", text.strip())
    s = s.removesuffix(".pdf").rstrip("/")
    m = _NEW.fullmatch(s)
    if m:
        month = int(m["yymm"][2:])
        if not 1 <= month <= 12:
            raise ArxivIdError(f"not an arXiv id (month {month:02d}): {text!r}")
        five_digit_era = int(m["yymm"]) >= 1501
        if (len(m["num"]) == 5) != five_digit_era:
            raise ArxivIdError(f"not an arXiv id (numbers have {5 if five_digit_era else 4} digits "
                               f"in {m['yymm']}): {text!r}")
        return ArxivId(m["id"], _version(m["v"], text))
    m = _OLD.fullmatch(s)
    if m:
        month = int(m["num"][2:4])
        if not 1 <= month <= 12:
            raise ArxivIdError(f"not an arXiv id (month {month:02d}): {text!r}")
        return ArxivId(f"{m['archive']}/{m['num']}", _version(m["v"], text))
    raise ArxivIdError(f"not an arXiv id: {text!r}")


def _version(v: str | None, text: str) -> int | None:
    if v is None:
        return None
    n = int(v)
    if n < 1:
        raise ArxivIdError(f"version must be 1 or more: {text!r}")
    return n


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except ArxivIdError:
        return False
    return True


def abs_url(paper_id: str, version: int | None = None) -> str:
    return f"https://arxiv.org/abs/{paper_id}" + (f"v{version}" if version else "")


def pdf_url(paper_id: str, version: int | None = None, base: str = "https://arxiv.org/pdf/") -> str:
    return f"{base}{paper_id}" + (f"v{version}" if version else "")
