"""LaTeX text markup in abstracts and titles shown as people expect; math left to KaTeX."""

from __future__ import annotations

import pytest

from web.tex import tex_prose


@pytest.mark.parametrize(("source", "shown"), [
    (r"decreases by only 5.5\% and 2.7\%", "decreases by only 5.5% and 2.7%"),
    (r"a \textbf{S}oft label", "a <strong>S</strong>oft label"),
    (r"two types of \textit{selective} priors", "two types of <em>selective</em> priors"),
    (r"referred to as \emph{institutions} -- that", "referred to as <em>institutions</em> – that"),
    (r"we introduce \textbf{\textsc{OneEval}}, a", "we introduce <strong>OneEval</strong>, a"),
    (r"(\textbf{EDC\textsuperscript{2}-RAG})", "(<strong>EDC<sup>2</sup>-RAG</strong>)"),
    (r"on \texttt{gpt2-large} show", "on <code>gpt2-large</code> show"),
    (r"small {\em partial} calls ({\sf SAS})", "small <em>partial</em> calls (SAS)"),
    (r"(\emph{\textcolor{magenta}{i}}) point", "(<em>i</em>) point"),
    ("analogous to ``finding a needle.''", "analogous to “finding a needle.”"),
    (r"the recent work DMPlug~\cite{wang2024dmplug}, we", "the recent work DMPlug, we"),
    (r"tasks\citep[see][p.~3]{deepseek2025}.", "tasks."),
    (r"fake news \& toxicity", "fake news &amp; toxicity"),
    (r"model the 360{\deg} details", "model the 360° details"),
    (r"Offset\_Background", "Offset_Background"),
    (r"code at \href{https://github.com/x/y}{GitHub}.",
     'code at <a href="https://github.com/x/y" rel="nofollow noopener">GitHub</a>.'),
    (r"see \url{https://example.org/a_b}", 'see <a href="https://example.org/a_b" rel="nofollow noopener">'
                                           "https://example.org/a_b</a>"),
    (r"approach\footnote{The code is public.}", "approach (The code is public.)"),
    ("https://www.robots.ox.ac.uk/~vgg/research", "https://www.robots.ox.ac.uk/~vgg/research"),
    (r"an unknown \ChordPrompt macro", r"an unknown \ChordPrompt macro"),
])
def test_prose_markup(source, shown):
    assert str(tex_prose(source)) == shown


def test_math_is_left_verbatim_for_katex():
    source = r"We bound $\textbf{x}_i \% 2$ and $$\sum_{k} a_k$$ and \(\alpha\) with \textbf{care}."
    html = str(tex_prose(source))
    assert r"$\textbf{x}_i \% 2$" in html and r"$$\sum_{k} a_k$$" in html and r"\(\alpha\)" in html
    assert html.endswith("with <strong>care</strong>.")


def test_an_escaped_dollar_is_a_dollar_kept_out_of_math_pairing():
    html = str(tex_prose(r"costs \$3 for 50k pairs while $x$ is math and \$5 more"))
    assert html.count('<span class="dollar">$</span>') == 2
    assert "$x$ is math" in html


@pytest.mark.parametrize("source", [
    r"<script>alert(1)</script> \textbf{<img src=x onerror=alert(1)>}",
    r"\href{javascript:alert(1)}{click}",
    r"\href{https://x.org/\" onmouseover=\"alert(1)}{x}",
    r'$<b onmouseover="alert(1)">$',
])
def test_hostile_text_stays_escaped(source):
    html = str(tex_prose(source))
    assert "<script" not in html and "<img" not in html and "<b " not in html
    assert 'href="javascript' not in html and "onmouseover=\"" not in html


def test_a_dollar_in_an_address_is_no_link_and_cannot_break_the_attribute():
    html = str(tex_prose(r"\href{https://a.org/\$}{x} and \url{https://b.org/\%}"))
    assert "<a " not in html and html.count('<span class="dollar">$</span>') == 1


def test_titles_keep_a_links_text_only():
    title = r"\textbf{X}: see \href{https://x.org}{our site} and \url{https://y.org}"
    assert str(tex_prose(title, links=False)) == "<strong>X</strong>: see our site and https://y.org"


def test_empty_and_plain_text():
    assert str(tex_prose(None)) == "" and str(tex_prose("")) == ""
    assert str(tex_prose("Plain words & more")) == "Plain words &amp; more"
