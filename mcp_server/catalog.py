"""The tools the MCP server offers, named once for the server and for `papersift mcp --help`.

Plain data, no imports: listing the tools must not load the app or the SDK.
"""

from __future__ import annotations

import textwrap

READ_TOOLS: dict[str, str] = {
    "search_papers": "Search titles, authors, abstracts and full texts of the papers in this "
                     "papersift (the site's query syntax), with category, time-window and sort filters.",
    "get_paper": "One paper by arXiv id: metadata, abstract, and on request an excerpt of its full text.",
    "similar_papers": ("Papers most similar to a given paper (TF-IDF cosine, blended with "
                       "embeddings once built)."),
    "recommend_for_user": "Recommendations for the signed-in user (over stdio: the configured user), "
                          "trained on their library or some of its tags.",
    "keyword_trends": "Monthly share of papers mentioning each keyword or phrase.",
    "hot_terms": ("Topics rising fastest, cooling and emerging: the recent months against the months "
                  "before; generic words and words papers seldom put in a title are left out."),
}

WRITE_TOOLS: dict[str, str] = {
    "library_add": "Save papers to the user's library, optionally tagging them "
                   "(only when the server enables writes).",
    "library_tags": "Add or remove tags on a paper in the user's library "
                    "(only when the server enables writes).",
}

TOOLS: dict[str, str] = {**READ_TOOLS, **WRITE_TOOLS}

PAPER_URI = "papersift://paper/{+paper_id}"


def tools_help() -> str:
    """The tool list as `papersift mcp --help` prints it (click keeps \\b paragraphs as typed)."""
    rows = [textwrap.fill(text, 78, initial_indent=f"  {name:<19} ", subsequent_indent=" " * 22)
            for name, text in TOOLS.items()]
    return "\b\nTools:\n" + "\n".join(rows) + f"\n\n\b\nResources:\n  {PAPER_URI}"
