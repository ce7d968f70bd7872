"""Tags and channel for an incoming item.

Tags: the feed's own categories, the site's existing tags found in the text (a gazetteer built
from them, matched with an Aho-Corasick automaton) and a few keyphrases (YAKE) that are names.
Channel: the source's rules, else its default channel, else the nearest channel centroid of the
site's own articles in discovery's LSA space.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from functools import cached_property

import ahocorasick
import yake

MAX_TAGS = 8
KEYPHRASES = 3
KEYPHRASE_TEXT = 500  # characters of the lead YAKE reads: the names of a story are in its lead
TAG_LENGTH = 60
_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"<[^>]*>?")


def tag_name_clean(name: str) -> str:
    """A feed's category as a tag name: entities decoded, markup dropped, compatibility forms
    folded (NFKC), control, format (bidi overrides, zero-width, soft hyphen) and unassigned
    characters removed, whitespace collapsed, cut to TAG_LENGTH at a word boundary if it can."""
    text = unicodedata.normalize("NFKC", _MARKUP.sub(" ", html.unescape(name)))
    kept = "".join(
        " " if unicodedata.category(c)[0] == "Z" or c.isspace() else c
        for c in text
        if unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cn", "Cs") or c.isspace()
    )
    kept = _SPACE.sub(" ", kept.replace("<", " ").replace(">", " ")).strip()
    if len(kept) > TAG_LENGTH:
        cut = kept[:TAG_LENGTH]
        kept = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return kept


class Gazetteer:
    """Whole-word, case-insensitive matches of known names in a text."""

    def __init__(self, names: list[str]):
        self.automaton = ahocorasick.Automaton()
        for name in names:
            key = _SPACE.sub(" ", name.lower()).strip()
            if len(key) >= 3:
                self.automaton.add_word(key, name)
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def find(self, text: str) -> Counter[str]:
        found: Counter[str] = Counter()
        if self.empty:
            return found
        low = _SPACE.sub(" ", text.lower())
        for end, name in self.automaton.iter(low):
            start = end - len(_SPACE.sub(" ", name.lower()).strip()) + 1
            before = low[start - 1] if start > 0 else " "
            after = low[end + 1] if end + 1 < len(low) else " "
            if not before.isalnum() and not after.isalnum():
                found[name] += 1
        return found


class Tagger:
    def __init__(self, known_tags: list[str], *, language: str = "en"):
        self.gazetteer = Gazetteer(known_tags)
        self.language = language

    @cached_property
    def extractor(self):
        return yake.KeywordExtractor(lan=self.language, n=3, top=10, dedupLim=0.7)

    def suggest(self, *, title: str, text: str, categories: list[str]) -> list[str]:
        tags: list[str] = []

        def add(name: str):
            name = tag_name_clean(name)
            if name and name.lower() not in {t.lower() for t in tags}:
                tags.append(name)

        for category in categories:
            add(category)
        found = self.gazetteer.find(f"{title}\n{text}")
        in_title = self.gazetteer.find(title)
        for name, count in found.most_common():
            if count >= 2 or name in in_title:
                add(name)
        known = len(tags) - len(categories)
        # Keyphrases fill in when the site's own tags do not describe the story yet.
        if text and known < KEYPHRASES:
            lead = f"{title}. {text[:KEYPHRASE_TEXT]}"
            added = 0
            for phrase, _ in self.extractor.extract_keywords(lead)[:10]:
                words = phrase.split()
                # Names only: every word capitalised where the text uses the phrase.
                inside = any(f" {phrase.lower()} " in f" {t.lower()} " for t in tags)
                if all(w[:1].isupper() for w in words) and phrase in lead and not inside:
                    before = len(tags)
                    add(phrase)
                    added += len(tags) - before
                    if known + added >= KEYPHRASES or len(tags) >= MAX_TAGS:
                        break
        return tags[:MAX_TAGS]
