"""Code repository links written in a paper's abstract or comments (GitHub, GitLab, Hugging
Face, Codeberg), now that paperswithcode is gone and arXiv no longer links code.

Pure text work, no SQL: `code_links` reads links out of text; `CODE_HOSTS` is what the
"has code" filter looks for in the store (a cheap LIKE: a paper linking only to a host's
non-repository page, e.g. github.com/features, passes the filter with no badge).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CODE_HOSTS = ("github.com/", "gitlab.com/", "huggingface.co/", "codeberg.org/")
_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?P<host>github\.com|gitlab\.com|codeberg\.org|huggingface\.co)/"
    r"(?P<path>(?:(?:datasets|spaces)/)?[A-Za-z0-9][\w.-]*/[\w.-]*[\w-])",
    re.IGNORECASE)
_HOST_NAMES = ("github.com", "gitlab.com", "codeberg.org", "huggingface.co")
# pages of these hosts that are not a repository
_NOT_REPOS = {"github.com": {"features", "about", "pricing", "topics", "sponsors", "orgs", "settings"},
              "huggingface.co": {"docs", "blog", "papers", "learn"}}


def code_links(texts: Iterable[str | None]) -> list[str]:
    """https URLs of the repositories named in the texts, in order, each once."""
    out: list[str] = []
    for text in texts:
        lowered = (text or "").lower()
        if not any(host in lowered for host in _HOST_NAMES):
            continue   # most abstracts name no host: skip the costly pattern
        # arXiv wraps long abstracts: "github.com/ owner/repo" keeps its link after folding spaces
        for m in _LINK.finditer(re.sub(r"(\.(?:com|co|org)/)\s+", r"\1", text or "")):
            host = m["host"].lower()
            path = m["path"].rstrip(".")
            if path.split("/")[0].lower() in _NOT_REPOS.get(host, set()):
                continue
            url = f"https://{host}/{path}"
            if url.lower() not in {u.lower() for u in out}:
                out.append(url)
    return out
