"""Abstracts and titles as people read them: LaTeX text markup outside math turned into HTML.

arXiv metadata is written in LaTeX. Math (`$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]`) is
left exactly as it is for KaTeX to render in the browser; around it, authors use text
macros that would otherwise show raw: `5.5\\%`, `\\textbf{S}oft`, `\\emph{...}`,
``` ``quotes'' ```, `\\href{url}{text}`, `~\\cite{...}`. This turns the common ones into
their characters or into <strong>, <em>, <code>, <sub>, <sup> and links (http and https
only), and drops citations. The text is HTML-escaped before any tag is added, so the
result is safe to mark up; unknown macros stay as written.

Display only: the store, feeds, emails and the JSON API keep the original text.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# math spans, for KaTeX; an escaped \$ is a dollar sign, not a delimiter
MATH = re.compile(r"(?<!\\)(\$\$.+?(?<!\\)\$\$|\$.+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\])", re.S)

WRAPPERS = {
    "textbf": "strong", "textit": "em", "emph": "em", "textsl": "em", "texttt": "code",
    "underline": "u", "textsubscript": "sub", "textsuperscript": "sup",
    "textsc": "", "textsf": "", "textrm": "", "textnormal": "", "text": "", "mbox": "",
}
SWITCHES = {"bf": "strong", "em": "em", "it": "em", "sl": "em", "tt": "code",
            "sc": "", "sf": "", "rm": ""}
SIMPLE = {
    r"\\([%#_])": r"\1", r"\\&amp;": "&amp;", r"\\ ": " ", r"\\deg\b": "°",
    r"\\eg\b": "e.g.", r"\\ie\b": "i.e.", r"\\etal\b": "et al.", r"\\ldots\b|\\dots\b": "…",
    r"``": "“", r"&#39;&#39;": "”", r"(?<=\s)---(?=\s)": "—", r"(?<=\s)--(?=\s)": "–",
}
_INNER = r"([^{}]*)"          # one level: nested macros are undone from the inside out
_WRAPPER = re.compile(r"\\(" + "|".join(WRAPPERS) + r")\{" + _INNER + r"\}")
_SWITCH = re.compile(r"\{\\(" + "|".join(SWITCHES) + r")\s+" + _INNER + r"\}")
_COLOR = re.compile(r"\\textcolor\{[^{}]*\}\{" + _INNER + r"\}")
# no backslash in an address: `\$` and friends are rewritten to markup afterwards
_HREF = re.compile(r"\\href\{(https?://[^{}\s\\]+)\}\{" + _INNER + r"\}")
_URL = re.compile(r"\\url\{(https?://[^{}\s\\]+)\}")
_FOOTNOTE = re.compile(r"\\footnote\{" + _INNER + r"\}")
_CITE = re.compile(r"~?\\(?:cite[tp]?|citeauthor|citeyear)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_GROUP = re.compile(r"\{([^{}\\]*)\}")
_DOLLAR = re.compile(r"\\\$")
_SIMPLE = [(re.compile(pattern), repl) for pattern, repl in SIMPLE.items()]


def _tag(name: str, inner: str) -> str:
    return f"<{name}>{inner}</{name}>" if name else inner


def _prose(text: str, links: bool = True) -> str:
    """One stretch outside math, already HTML-escaped, with its markup turned into HTML."""
    text = _CITE.sub("", text)
    for _ in range(4):
        before = text
        text = _WRAPPER.sub(lambda m: _tag(WRAPPERS[m[1]], m[2]), text)
        text = _SWITCH.sub(lambda m: _tag(SWITCHES[m[1]], m[2]), text)
        text = _COLOR.sub(r"\1", text)
        text = _FOOTNOTE.sub(r" (\1)", text)
        if text == before:
            break
    if links:
        text = _HREF.sub(r'<a href="\1" rel="nofollow noopener">\2</a>', text)
        text = _URL.sub(r'<a href="\1" rel="nofollow noopener">\1</a>', text)
    else:
        text = _URL.sub(r"\1", _HREF.sub(r"\2", text))
    for pattern, repl in _SIMPLE:
        text = pattern.sub(repl, text)
    text = _GROUP.sub(r"\1", text)
    # a lone dollar in its own element: KaTeX pairs delimiters within one text node only
    return _DOLLAR.sub('<span class="dollar">$</span>', text)


def tex_prose(text: str | None, links: bool = True) -> Markup:
    """`text` as safe HTML: math kept verbatim (escaped) for KaTeX, prose markup rendered.
    `links=False` keeps a link's text only (for titles, which are links themselves)."""
    if not text:
        return Markup("")
    parts = MATH.split(text)
    # split() with one group: prose at even positions, math at odd ones
    return Markup("".join(str(escape(part)) if i % 2 else _prose(str(escape(part)), links)
                          for i, part in enumerate(parts)))
