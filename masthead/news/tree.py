"""Names for Wagtail's materialised tree paths, so no caller slices a path by hand.

Wagtail (treebeard) gives each page a `path` of fixed-width steps, one per level: the root is one
step (depth 1), the home page two (depth 2), a top-level channel ("section") three, and so on. An
ancestor's path is therefore a prefix of its descendants' paths.
"""

from __future__ import annotations

from wagtail.models import Page

STEPLEN: int = Page.steplen
ROOT_DEPTH = 1
HOME_DEPTH = 2
SECTION_DEPTH = 3  # a channel directly under the home page


def parent_path(path: str) -> str:
    """The path of the parent of the page at `path`."""
    return path[:-STEPLEN]


def ancestor_path(path: str, *, depth: int) -> str:
    """The path of the ancestor at `depth` (the page itself when it is that deep already)."""
    return path[: depth * STEPLEN]


def section_path(path: str) -> str:
    """The path of the top-level channel a page lies under (for a channel: itself or its top)."""
    return ancestor_path(path, depth=SECTION_DEPTH)


def home_and_channel_paths(path: str) -> list[str]:
    """The paths of every ancestor from the home page down to the parent of `path`."""
    return [path[:end] for end in range(HOME_DEPTH * STEPLEN, len(path), STEPLEN)]


def is_site_wide(page: Page) -> bool:
    """Whether a page stands for the whole site (the root or the home page), not a channel."""
    return page.depth <= HOME_DEPTH


def is_sub_channel(page: Page) -> bool:
    """Whether a channel lies under another channel rather than directly under the home page."""
    return page.depth > SECTION_DEPTH
