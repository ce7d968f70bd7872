"""Readers for the public datasets discovery is measured on (never shipped with Masthead).

The data lives in MASTHEAD_DATA_DIR (default: ../shared/data beside the checkout); each loader
raises DatasetMissing with a clear message when its files are absent, so callers can skip.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class DatasetMissing(Exception):
    pass


CHECKOUT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return Path(os.getenv("MASTHEAD_DATA_DIR", CHECKOUT.parent / "shared" / "data"))


def _path(*parts: str) -> Path:
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise DatasetMissing(f"{path} is absent (set MASTHEAD_DATA_DIR to the datasets folder)")
    return path


@dataclass
class Text:
    id: str
    title: str
    body: str
    labels: frozenset[str]  # categories/topics
    published: float = 0.0
    group: str = ""  # gold story or duplicate group ("" = its own)


def bbc() -> list[Text]:
    """BBC News: 2,225 articles in 5 categories; duplicate groups as gold story ids."""
    groups = json.loads(_path("bbc-news", "exact_duplicate_groups.json").read_text())
    group_of = {member: f"dup{i}" for i, g in enumerate(groups) for member in g}
    with gzip.open(_path("bbc-news", "bbc_news.jsonl.gz"), "rt") as f:
        rows = [json.loads(line) for line in f]
    return [
        Text(
            r["id"],
            r["title"],
            r["body"],
            frozenset([r["category"]]),
            0.0,
            group_of.get(r["id"], ""),
        )
        for r in rows
    ]


def reuters() -> list[Text]:
    """Reuters-21578: wire stories with topics, dates and duplicate groups."""
    groups = json.loads(_path("reuters-21578", "exact_duplicate_groups.json").read_text())
    group_of = {member: f"dup{i}" for i, g in enumerate(groups) for member in g}
    out = []
    with gzip.open(_path("reuters-21578", "reuters21578.jsonl.gz"), "rt") as f:
        for line in f:
            r = json.loads(line)
            try:
                at = datetime.strptime(r["date"].strip()[:20], "%d-%b-%Y %H:%M:%S").timestamp()
            except ValueError:
                at = 0.0
            labels = frozenset(r.get("topics") or [])
            out.append(
                Text(
                    str(r["newid"]),
                    r.get("title") or "",
                    r.get("body") or "",
                    labels,
                    at,
                    group_of.get(r["newid"], ""),
                )
            )
    return out


def uci_headlines() -> list[Text]:
    """UCI News Aggregator head: headlines with their same-story cluster id, in time order."""
    with gzip.open(_path("uci-news-aggregator-head", "newsCorpora_head.csv.gz"), "rt") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: (int(r["TIMESTAMP"]), int(r["ID"])))
    return [
        Text(
            r["ID"],
            r["TITLE"],
            "",
            frozenset([r["CATEGORY"]]),
            int(r["TIMESTAMP"]) / 1000,
            r["STORY"],
        )
        for r in rows
    ]


def ag_news() -> list[Text]:
    """AG News test split: 7,600 title + description pairs in 4 classes (source escapes undone)."""
    with gzip.open(_path("ag-news-test", "test.csv.gz"), "rt") as f:
        rows = list(csv.DictReader(f))

    def unescape(value: str) -> str:
        for escaped, plain in (("#36;", "$"), ("#39;", "'"), (" quot;", ' "'), ("quot;", '"')):
            value = value.replace(escaped, plain)
        return value.replace("\\", " ")

    return [
        Text(f"ag{i}", unescape(r["title"]), unescape(r["description"]), frozenset([r["label"]]))
        for i, r in enumerate(rows)
    ]


def plain_lines(path: Path) -> list[Text]:
    """A plain-text corpus of one article per line, without titles (such as the Lee news corpus
    of 348 Australian Broadcasting Corporation stories that gensim's test data carries)."""
    if not path.exists():
        raise DatasetMissing(f"{path} is absent")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [
        Text(f"{path.stem}{i}", "", line.strip(), frozenset())
        for i, line in enumerate(lines)
        if line.strip()
    ]


@dataclass
class Impression:
    user: str
    time: float
    history: list[str]
    shown: list[str]
    clicked: set[str] = field(default_factory=set)


def mind() -> tuple[list[Impression], dict[str, Text]]:
    """MIND-small sample: impressions in time order, and the news texts there are."""
    impressions = []
    with gzip.open(_path("mind-small-sample", "behaviors.tsv.gz"), "rt") as f:
        for line in f:
            _, user, when, history, shown = line.rstrip("\n").split("\t")
            at = datetime.strptime(when, "%m/%d/%Y %I:%M:%S %p").timestamp()
            items = [s.rsplit("-", 1) for s in shown.split()]
            impressions.append(
                Impression(
                    user,
                    at,
                    history.split(),
                    [i for i, _ in items],
                    {i for i, c in items if c == "1"},
                )
            )
    impressions.sort(key=lambda i: i.time)
    news = {}
    with gzip.open(_path("mind-small-sample", "news.tsv.gz"), "rt") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            news[cols[0]] = Text(cols[0], cols[3], cols[4], frozenset([cols[1]]))
    return impressions, news
