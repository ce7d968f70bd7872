"""Database ids in URLs and query strings: ASCII digits within the range of a 64-bit key.

`str.isdigit()` accepts "²" and `int()` any size, and a database refuses numbers past 2^63 - 1
with an exception, not an empty result; every public id goes through here first.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def id_parse(text: str) -> int | None:
    """The id `text` spells, or None when it is not a plain positive 64-bit integer."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


class IdConverter:
    """URL converter `<id:name>`: like `<int:name>`, but only ids a database can hold."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        parsed = id_parse(value)
        if parsed is None:
            raise ValueError(value)  # the pattern does not match: 404
        return parsed

    def to_url(self, value: int) -> str:
        return str(value)
