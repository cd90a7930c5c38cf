"""Library export (BibTeX, JSON) and import (a pasted list of arXiv ids or URLs).

BibTeX is written with bibtexparser; values keep only a safe subset of LaTeX (accents,
math) and balanced braces, so an export of any library parses back and compiling it runs
no command that came from a paper's metadata or a tag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from domain.ids import ArxivIdError, parse_arxiv_id
from store.library import Entry

_SPLIT = re.compile(r"[\s,;]+")
MAX_IMPORT = 5000

# LaTeX a BibTeX value may keep: accents and letters of names, a little text markup, and the
# math of titles. Every other control sequence (\input, \write18, \catcode, \def, \csname...)
# is written as text, so compiling an exported .bib can never read or write files.
_SAFE_COMMAND_NAMES = """
    u v H t c d b k r i j o O l L ss aa AA ae AE oe OE
    textbackslash textendash textemdash textquoteleft textquoteright textquotedblleft
    textquotedblright ldots dots cdots emph textit textbf texttt textsc textrm textsf textsl
    textsuperscript textsubscript text mbox
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
    pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    mathcal mathbb mathbf mathrm mathit mathsf mathtt mathfrak mathscr boldsymbol bm operatorname
    frac dfrac tfrac sqrt sum prod int oint lim limsup liminf infty partial nabla
    le leq ge geq ne neq ll gg approx sim simeq cong equiv propto times cdot pm mp div circ
    log ln exp sin cos tan max min arg argmax argmin sup inf det Pr
    to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow mapsto
    in notin subset subseteq supset supseteq cup cap setminus emptyset varnothing forall exists
    neg land lor wedge vee oplus otimes ell hbar top perp star ast dagger prime
    hat tilde bar vec dot ddot widehat widetilde overline underline
    left right big Big bigg Bigg langle rangle lfloor rfloor lceil rceil mid vert Vert quad qquad
"""
SAFE_COMMANDS = frozenset(_SAFE_COMMAND_NAMES.split())
SAFE_SYMBOLS = frozenset("'`^\"~=.,;:!&%$#_{}|/- ")
_LATEX = re.compile(r"\\([A-Za-z]+|[^A-Za-z]|$)|\$|[&%#]")


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def safe_latex(text: str) -> str:
    """Text with only SAFE_COMMANDS and SAFE_SYMBOLS left as LaTeX; the rest is escaped."""
    text = re.sub(r"\^(?=\^)", "^{}", text)        # TeX reads ^^5c as a backslash: break every ^^
    in_math = False

    def token(m: re.Match) -> str:
        nonlocal in_math
        whole, name = m.group(0), m.group(1)
        if name is None:
            if whole == "$":
                in_math = not in_math
                return whole
            return "\\" + whole                       # a bare & % #: LaTeX specials
        if name == "\\":
            return " "                                 # a line break means nothing in a title
        if name in SAFE_COMMANDS or (len(name) == 1 and name in SAFE_SYMBOLS):
            return whole
        return ("\\backslash{}" if in_math else "\\textbackslash{}") + name

    return _LATEX.sub(token, text)


def bib_value(text: str) -> str:
    """Text safe inside a braced BibTeX value: safe LaTeX only (see SAFE_COMMANDS), braces balanced."""
    text = " ".join(text.split())
    if not _balanced(text):
        text = text.replace("{", "").replace("}", "")
    return safe_latex(text)


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", plain).lower()


def cite_key(entry: Entry, taken: set[str]) -> str:
    """lastnameYEARfirstword, made unique with a, b, c... (e.g. vaswani2017attention)."""
    paper = entry.paper
    last = _ascii_word(paper.authors[0].split()[-1]) if paper.authors else "anon"
    words = [w for w in (_ascii_word(w) for w in paper.title.split()) if len(w) > 3]
    base = f"{last or 'anon'}{paper.published:%Y}{words[0] if words else ''}"
    key, n = base, 0
    while key in taken:
        key = f"{base}{chr(ord('a') + n % 26)}{n // 26 or ''}"
        n += 1
    taken.add(key)
    return key


def to_bibtex(entries: Sequence[Entry]) -> str:
    """One @misc entry per paper with eprint, archivePrefix and primaryClass as arXiv suggests."""
    import bibtexparser  # here, not at the top: an export is rare and the CLI imports this module
    from bibtexparser.model import Entry as BibEntry
    from bibtexparser.model import Field

    library = bibtexparser.Library()
    taken: set[str] = set()
    for entry in entries:
        p = entry.paper
        fields = [
            Field("title", "{" + bib_value(p.title) + "}"),
            Field("author", bib_value(" and ".join(p.authors))),
            Field("year", str(p.published.year)),
            Field("eprint", bib_value(p.id)),
            Field("archivePrefix", "arXiv"),
            Field("primaryClass", bib_value(p.primary_category)),
            Field("url", bib_value(p.abs_url)),
        ]
        if p.doi:
            fields.append(Field("doi", bib_value(p.doi)))
        if entry.tags:
            fields.append(Field("keywords", bib_value(", ".join(entry.tags))))
        library.add(BibEntry("misc", cite_key(entry, taken), fields))
    return bibtexparser.write_string(library)


def to_json(entries: Sequence[Entry], username: str, tag: str | None) -> dict:
    return {
        "user": username, "tag": tag, "count": len(entries),
        "papers": [{**e.paper.to_json(), "added": e.added.isoformat(), "tags": list(e.tags)}
                   for e in entries],
    }


def parse_id_list(text: str) -> tuple[list[str], list[str]]:
    """(arXiv ids without version, in order and deduplicated; pieces that are not ids)."""
    ids: list[str] = []
    bad: list[str] = []
    for piece in _SPLIT.split(text or ""):
        if not piece:
            continue
        try:
            ids.append(parse_arxiv_id(piece).id)
        except ArxivIdError:
            bad.append(piece[:80])
    return list(dict.fromkeys(ids)), bad
