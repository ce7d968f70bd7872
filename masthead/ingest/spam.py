"""Content-farm screening for the pipeline: hold an item for review, with a reason an editor can
read, when the screening model (`masthead.ingest.screening`) scores it as content-farm spam.

The model is one small logistic regression per pattern group over general signals (token
plausibility, fused keywords, local keyword density, navigation-like text, link share), trained
on a labelled generator and measured on clean corpora it never saw, on a tuning quarter and a
held-out rest (docs/ingestion.md, docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable

from masthead.ingest.screening.model import Screener


def screen(
    *, title: str, text: str, raw_html: str = "", known: Callable[[str], bool] | None = None
) -> str:
    """The reason to hold an item, or "" when it looks clean. `title` as the source gave it;
    `raw_html` the item's markup before sanitizing (its line structure matters); `known(word)`:
    whether the site's own vocabulary has the word."""
    return screener(known=known).verdict(title=title, text=text, raw_html=raw_html).reason


def screener(*, known: Callable[[str], bool] | None = None) -> Screener:
    """A screener to reuse for many items against one vocabulary (`known`, as for `screen`):
    the words it has looked up stay looked up."""
    return Screener(known)
