"""A page cached as a shell: everything but its volatile parts, which are rendered per request.

An article page is the same for every reader except a few parts that change on their own
schedule: the reaction counts (exact as of the request) and the sidebar's Ranking and
Recommendation. The rest (head, header, body, tags, Related, Like, the story) changes only when
the article or something it shows changes, so it is rendered once and cached under the page's
surrogate keys. Each volatile part is left in the shell as a marker carrying a random nonce (so
no article text can forge one) and filled in per request by rendering its own small template.

The discovery lists (Related, Like, the story) are such a part too, though not volatile: they
are one cached fragment of their own (`shell_part`), which a publish elsewhere changes far more
often than the rest of the page (a new article enters the Related lists of up to a hundred
others). Kept out of the shell, a change to them renders the lists again, not the page's head,
header, body and tags with them; the page still carries their keys, recorded as they are put in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.template import Context, Engine
from django.template.loader import render_to_string


@dataclass
class Holes:
    """The volatile parts left out while a shell is rendered (put in the template context)."""

    nonce: str = field(default_factory=lambda: secrets.token_hex(8))
    parts: list[str] = field(default_factory=list)

    def mark(self, template_name: str) -> str:
        self.parts.append(template_name)
        return _marker(self.nonce, template_name)


@dataclass(frozen=True)
class Shell:
    html: str
    nonce: str
    parts: tuple[str, ...]


def _marker(nonce: str, template_name: str) -> str:
    return f"<!--volatile:{nonce}:{template_name}-->"


def shell_render(template_name: str, context: dict, request: HttpRequest) -> Shell:
    """The page rendered with a marker where each volatile part goes."""
    holes = Holes()
    html = render_to_string(template_name, {**context, "volatile_holes": holes}, request)
    return Shell(html, holes.nonce, tuple(holes.parts))


def shell_fill(shell: Shell, context: dict, request: HttpRequest) -> str:
    """The page: the shell with each volatile part rendered now from `context` (which must
    hold all a part uses: the parts get no context processors)."""
    html = shell.html
    parts = Context({**context, "request": request})
    engine = Engine.get_default()
    for name in shell.parts:
        part = engine.get_template(name).render(parts)
        html = html.replace(_marker(shell.nonce, name), part, 1)
    return html
