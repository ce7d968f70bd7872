"""Parsing the reaction kinds an administrator types in Settings > Reactions.

One kind per line as `slug: Label` (`verygood: veryGood!`); plain Python so the admin form,
the settings default and the tests share one reading.
"""

from __future__ import annotations

import re

SLUG = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_LABEL = 40
MAX_KINDS = 8


class InvalidReactionKinds(ValueError):
    pass


def kinds_parse(text: str) -> dict[str, str]:
    """{slug: label} in the order given; raises InvalidReactionKinds saying which line is wrong."""
    kinds: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        slug, separator, label = line.partition(":")
        slug, label = slug.strip(), label.strip()
        if not separator or not SLUG.match(slug):
            raise InvalidReactionKinds(
                f"Line {number}: write `slug: Label`; the slug uses a-z, 0-9, - or _ (32 at most)."
            )
        if not label or len(label) > MAX_LABEL:
            raise InvalidReactionKinds(
                f"Line {number}: the label needs 1 to {MAX_LABEL} characters."
            )
        if slug in kinds:
            raise InvalidReactionKinds(f"Line {number}: {slug} is listed twice.")
        kinds[slug] = label
    if not kinds:
        raise InvalidReactionKinds("List at least one reaction kind.")
    if len(kinds) > MAX_KINDS:
        raise InvalidReactionKinds(f"At most {MAX_KINDS} reaction kinds.")
    return kinds


def kinds_format(kinds: dict[str, str]) -> str:
    return "\n".join(f"{slug}: {label}" for slug, label in kinds.items())
