"""Words and shingles of article text, for languages with and without spaces between words.

Latin, Cyrillic, Greek and similar scripts split on non-word characters; runs of Chinese or
Japanese characters go through jieba's dictionary segmenter (shipped inside the package, loaded
on first use only, nothing downloaded). Plain Python, no Django.
"""

from __future__ import annotations

import logging
import re
from functools import cache

# Han ideographs, kana and CJK punctuation-free ranges: text written without spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W\d_](?:[\w'’-]*\w)?|\d+(?:[.,]\d+)*", re.UNICODE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
_CJK_PUNCT_FREE = re.compile(rf"[{_CJK}]")

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves said says say
    mr mrs ms one two new also year years would could told 's s t
    的 了 和 是 在 也 有 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 这 那 之 为 对 等 被 把 让 从 到 说""".split()
)


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[str]:
    """Lower-cased word tokens; CJK runs are segmented into words."""
    out: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if _CJK_RUN.match(token):
            out.extend(w for w in _jieba().lcut(token) if w.strip())
        else:
            out.append(token.strip("'’-"))
    return out


def terms(text: str) -> list[str]:
    """Index terms: words without stop words and one-letter Latin tokens."""
    return [
        w for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or _CJK_PUNCT_FREE.match(w))
    ]


def shingles(text: str, size: int = 3) -> set[str]:
    """Overlapping word n-grams, the unit near-duplicate detection compares."""
    tokens = words(text)
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
