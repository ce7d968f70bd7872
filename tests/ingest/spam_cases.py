"""A labelled set for spam screening: clean news texts, the same texts after the injections
content farms make, and hand-made cases (including clean texts built to look suspicious).

`cases()` returns (title, text, raw_html, is_spam, kind) tuples, deterministic.
"""

import html
import random
from datetime import UTC, datetime

from masthead.demo.corpus import CorpusGenerator

SYLLABLES = "ka re ku bit lo mi zan tor vex qua nel dro pim sha fu gle".split()

HAND_CLEAN = [
    (
        "Coca-Cola raises prices in Europe",
        "Coca-Cola said on Monday it would raise prices in Europe as sugar costs rose. The Coca-Cola bottler in Germany agreed.",
    ),
    (
        "Rolls-Royce wins engine order from Gulf carrier",
        "Rolls-Royce won an order for 40 engines. Shares in Rolls-Royce rose 3 percent in London.",
    ),
    (
        "Mercedes-Benz recalls 100,000 cars",
        "Mercedes-Benz is recalling cars over a faulty seat belt. Mercedes-Benz said no injuries were reported.",
    ),
    (
        "Anti-corruption body opens inquiry",
        "The anti-corruption agency opened an inquiry into the contract award on Friday.",
    ),
    (
        "US-China talks resume in Geneva",
        "Negotiators resumed talks in Geneva. The US-China dialogue had stalled since spring.",
    ),
    (
        "Post-election protests spread to the capital",
        "Protests spread after the post-election count was delayed for a second day.",
    ),
    (
        "Washington and Berlin sign energy accord",
        "Washington and Berlin signed an accord on Thursday. Officials in Washington said the deal covers gas storage. Berlin welcomed it.",
    ),
    (
        "Finland and Iceland join fisheries pact",
        "Finland and Iceland joined the pact. Finland said quotas would be set each spring. Iceland agreed.",
    ),
    (
        "Auckland and Cleveland twin their ports",
        "Auckland and Cleveland agreed to share port data. Auckland officials visited in May.",
    ),
    (
        "Price of bread rises again",
        "The price of bread rose for a fifth month. Bakers blamed flour prices, energy prices and wage costs, and said the price of a loaf could rise further.",
    ),
    (
        "UPDATE 2-Oil climbs on supply worries",
        "Oil prices climbed on Tuesday on worries about supply from the Gulf.",
    ),
    (
        "Kingston mayor opens new library",
        "The mayor of Kingston opened the library on Saturday. The Kingston library has 80,000 books.",
    ),
]

HAND_SPAM = [
    (
        "Zanvex-Ministers agree on border deal",
        "Ministers agreed on a border deal on Monday, and Zanvexthe negotiators said the text would be signed next week.",
    ),
    (
        "Budget talks stall",
        "Budget talks stalled again. Qualothe finance minister said a deal was close, and Qualoand the opposition disagreed.",
    ),
    (
        "Best loans",
        "Best loans best loans cheap loans best loans fast loans best loans online loans best loans today best loans. Best loans for everyone, best loans now, best loans here, loans loans loans.",
    ),
    (
        "Gold price today",
        "Gold price today. Related. Ranking. Recommendation. Most read. Gold price rose today as the dollar fell.",
    ),
]


def _pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _clean_items(n: int, seed: int):
    generator = CorpusGenerator(seed=seed, now=datetime(2026, 1, 1, tzinfo=UTC))
    for article in generator.articles(n):
        text = " ".join([article.dek, *article.paragraphs])
        raw = "".join(f"<p>{html.escape(p)}</p>" for p in [article.dek, *article.paragraphs])
        yield article.title, text, raw


def _inject(kind: str, title: str, text: str, raw: str, rng: random.Random):
    keyword = _pseudo_word(rng)
    sentences = text.split(". ")
    if kind == "title":
        return f"{keyword}-{title}", text, raw
    if kind == "glued":
        i = rng.randrange(len(sentences))
        glue = rng.choice(["the", "and", "for"])
        sentences[i] = (
            f"{sentences[i]}, and {keyword}{glue} {sentences[(i + 1) % len(sentences)].lower()}"
        )
        new = ". ".join(sentences)
        return title, new, f"<p>{html.escape(new)}</p>"
    if kind == "stuffing":
        word = rng.choice(["casino", "loans", "crypto", "bonus", "pills"])
        words = text.split()
        for _ in range(max(10, len(words) // 8)):
            words.insert(rng.randrange(len(words)), word)
        new = " ".join(words)
        return title, new, f"<p>{html.escape(new)}</p>"
    if kind == "navigation":
        labels = rng.sample(["Related", "Ranking", "Recommendation", "Most read", "Read more"], 3)
        nav = "".join(
            f"<h3>{label}</h3><ul><li><a href='https://x.example/{i}'>{_pseudo_word(rng)} story</a></li></ul>"
            for i, label in enumerate(labels)
        )
        return title, text + "\n" + "\n".join(labels), raw + nav
    if kind == "links":
        links = "".join(
            f"<li><a href='https://farm.example/{i}'>{' '.join(_pseudo_word(rng) for _ in range(4))}</a></li>"
            for i in range(40)
        )
        first = sentences[0]
        body = f"<p>{html.escape(first)}.</p><ul>{links}</ul>"
        from masthead.ingest.clean import text_of

        return title, text_of(body), body
    raise ValueError(kind)


KINDS = ("title", "glued", "stuffing", "navigation", "links")


def cases(n: int = 300, seed: int = 7):
    rng = random.Random(seed)
    clean = list(_clean_items(n, seed))
    out = [(t, x, r, False, "clean") for t, x, r in clean[: n // 2]]
    for i, (t, x, r) in enumerate(clean[n // 2 :]):
        kind = KINDS[i % len(KINDS)]
        out.append((*_inject(kind, t, x, r, rng), True, kind))
    out += [(t, x, f"<p>{html.escape(x)}</p>", False, "hand-clean") for t, x in HAND_CLEAN]
    out += [(t, x, f"<p>{html.escape(x)}</p>", True, "hand-spam") for t, x in HAND_SPAM]
    return out


def vocabulary() -> set[str]:
    """Words of other clean articles: the site's vocabulary in the tests."""
    import re

    words = set()
    for title, text, _ in _clean_items(400, seed=99):
        words.update(w.lower() for w in re.findall(r"[A-Za-z']+", f"{title} {text}"))
    for title, text in HAND_CLEAN:
        words.update(w.lower() for w in re.findall(r"[A-Za-z']+", f"{title} {text}"))
    return words
