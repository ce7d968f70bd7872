"""Where the screening lexicon keeps the tables it builds once per installation: the var dir.

Set where items are first screened, not when the app starts: the lexicon brings wordfreq's word
list and babel (about 0.3 s of CPU to import), which a web worker serving pages never uses.
"""

from __future__ import annotations

import functools

from django.conf import settings

from masthead.ingest.screening import lexicon


@functools.cache
def screening_tables_stored() -> None:
    """Have the lexicon read and write its built tables under VAR_DIR/screening (once per
    process; before the first screener is made)."""
    lexicon.store_tables_in(settings.VAR_DIR / "screening")
