"""Defaults of the hot-terms report, shared by `trend_hot`, the page and the CLI.

A module of its own, free of numpy, so `papersift --help` can show them without loading
the numeric stack.
"""

TOP = 30                # terms in each list
MIN_SUPPORT = 10        # papers a term needs in the window it is judged on
