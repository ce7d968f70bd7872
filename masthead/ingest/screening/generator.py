"""A labelled generator for content-farm screening: clean news items and the same kind of items
after the injections content farms make, in several markups and lengths, with a fixed split.

Clean items are written from sentence templates with names the lexicon does not know (new
surnames, companies), repeated names, real hyphenated compounds, country pairs, wire prefixes and
result lines, so the model learns that an unknown repeated name is not spam. Spam items carry one
of the patterns below, with keywords of many kinds (syllable pseudo-words, random letter strings,
CamelCase, capitals, real words) at every position. Deterministic: the same seed gives the same
items; `split("train")` and `split("test")` use different seeds and different keyword syllables.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape

from masthead.ingest.screening.lexicon import Lexicon

PATTERNS = ("title", "glued", "stuffing", "navigation", "links", "portal")
MARKUPS = ("paragraphs", "breaks", "newlines", "block")
NAV_MARKUPS = ("paragraphs", "breaks", "list", "newlines", "block")

SYLLABLES = {
    "train": "ka re ku bit lo mi zan tor vex qua nel dro pim sha fu gle bra zo ti".split(),
    "test": "mo ra vik lun sep tal oru xen dai pel gor wim hu strak ne ol".split(),
}
REAL_KEYWORDS = [
    "casino",
    "slot",
    "loans",
    "crypto",
    "toto",
    "poker",
    "betting",
    "bonus",
    "pills",
    "forex",
]
NAV_LABELS = ["Related", "Ranking", "Recommendation", "Tags", "Like", "Most read", "Read more",
              "Trending", "Popular", "You may also like", "Related articles", "Top stories"]  # fmt: skip

KNOWN_FIRST = "James Maria David Anna Peter Sarah Ahmed Li Carlos Elena Tom Grace Omar Yuki".split()
KNOWN_LAST = (
    "Smith Johnson Brown Garcia Miller Wilson Taylor Khan Chen Lopez Martin Lee Walker".split()
)
PLACES = "London Paris Berlin Madrid Tokyo Chicago Nairobi Lagos Mumbai Sydney Toronto Geneva Brussels Seoul".split()
COUNTRIES = "US China Japan India Russia Ukraine Israel France Germany Brazil Mexico Korea Iran Turkey".split()
NOUNS = ("government council company bank union court board market team ministry police "
         "agency fund party club hospital school airline regulator committee").split()  # fmt: skip
OBJECTS = ("budget plan deal contract merger report inquiry vote strike offer loan trial "
           "agreement proposal forecast election tariff scheme reform").split()  # fmt: skip
VERBS = (
    "approved rejected delayed announced criticised backed signed blocked reviewed defended".split()
)
TOPICS = ("prices wages rates exports profits costs sales shares output jobs imports "
          "emissions spending debt growth").split()  # fmt: skip
MOVES = "rose fell climbed slipped jumped dropped recovered stalled".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
WIRE_PREFIXES = ["UPDATE 2-", "EXCLUSIVE-", "ANALYSIS-", "WRAPUP 1-", "RPT-", "CORRECTED-"]
TEMPLATES = [
    "{A} said on {day} that the {noun} would {verb2} the {obj} before the end of the year.",
    "The {noun} {verb} the {obj} after weeks of talks in {place}, officials said.",
    "{topic_c} {move} {n} percent in the third quarter, according to figures from the {noun}.",
    "{A}, who leads the {noun}, told reporters in {place} that the {obj} was not yet final.",
    "Analysts said the {obj} could lift {topic} next year, although demand remained weak.",
    "{B} declined to comment on the {obj}, which the {noun} had {verb} in {month}.",
    "The decision follows a similar {obj} in {place}, where {topic} {move} sharply.",
    "{A} has been under pressure since {topic} {move} for a {ord} month in a row.",
    "In a statement, the {noun} said it {verb} the {obj} and would publish details on {day}.",
    "Critics of the {obj}, including {B}, say it does little for households facing higher {topic}.",
    '"We are not there yet," {A} said, adding that the {noun} wanted more time.',
    "The {noun} employs about {n},000 people and reported {topic} of {n} million dollars last year.",
    "Talks between {c1} and {c2} officials are due to resume in {place} on {day}.",
    "{B} said the {obj} would be reviewed by the {noun} in {month}.",
    "Shares in the {noun} {move} {n} percent in {place} after the announcement.",
]
HEADLINES = [
    "{noun_c} {verb} {obj} as {topic} {move}",
    "{A} says {obj} is close",
    "{topic_c} {move} for {ord} month",
    "{c1}-{c2} talks resume in {place}",
    "{B} to lead {noun} review",
    "{noun_c} faces questions over {obj}",
    "{place} {noun} {verb} {obj} after {obj2} row",
]
# Once, with no other use of the keyword, a fused token is told from a name only by a boundary
# few real words have: a function word glued on ("Rekubitthe", "Qualofrom").
FUNCTION_WORDS = {"the", "and", "for", "with", "from", "that", "was", "said", "would", "after"}
MONTHS = "January February March April May June July August September October November".split()
ORDINALS = "second third fourth fifth sixth".split()
RESULT_LINES = [
    "Revenue {n}.{d} mln vs {n}.{d} mln",
    "Net profit {n} cts vs {n} cts",
    "Shr {n} cts vs {n} cts",
]


@dataclass(frozen=True)
class Example:
    title: str
    raw_html: str
    text: str
    is_spam: bool
    pattern: str  # "clean" or one of PATTERNS
    keyword: str  # what a reason should name ("" for clean and link farms)


class Generator:
    def __init__(self, *, seed: int, split: str = "train", lexicon: Lexicon | None = None) -> None:
        self.rng = random.Random(seed)
        self.syllables = SYLLABLES[split]
        self.lexicon = lexicon or Lexicon()

    # --- words -------------------------------------------------------------------------------
    def pseudo_word(self) -> str:
        """A token the lexicon does not know, of one of several shapes."""
        rng = self.rng
        while True:
            shape = rng.random()
            if shape < 0.5:
                word = "".join(rng.choice(self.syllables) for _ in range(rng.randint(2, 4)))
            else:
                consonants, vowels = "bcdfghjklmnprstvwxz", "aeiou"
                word = "".join(
                    rng.choice(consonants) + rng.choice(vowels) * rng.randint(1, 1)
                    for _ in range(rng.randint(2, 4))
                ) + rng.choice(["", "n", "x", "t", "r"])
            if len(word) >= 4 and not self.lexicon.is_known(word):
                return word

    def keyword(self, *, real: bool = True) -> str:
        """A keyword; real words only where a word can be told from a keyword by its use."""
        rng = self.rng
        roll = rng.random()
        if real and roll < 0.15:
            return rng.choice(REAL_KEYWORDS).capitalize()
        word = self.pseudo_word()
        if roll < 0.25:
            return word.upper()
        if roll < 0.35:
            cut = len(word) // 2
            return word[:cut].capitalize() + word[cut:].capitalize()
        return word.capitalize()

    def name(self) -> str:
        """A person's surname: known half the time, new to every lexicon otherwise."""
        if self.rng.random() < 0.5:
            return self.rng.choice(KNOWN_LAST)
        return self.pseudo_word().capitalize() + self.rng.choice(
            ["", "", "son", "ov", "er", "man", "ez", "ini"]
        )

    # --- clean text --------------------------------------------------------------------------
    def _slots(self, people: list[str], subject: tuple[str, str] = ("", "")) -> dict[str, str]:
        """Values for a template; `subject` (slot, word) fills its slot most of the time."""
        rng = self.rng
        c1, c2 = rng.sample(COUNTRIES, 2)
        topic = rng.choice(TOPICS)
        noun = rng.choice(NOUNS)
        obj = rng.choice(OBJECTS)
        slot, word = subject
        if word and rng.random() < 0.7:
            topic, noun, obj = (word if slot == s else v for s, v in
                                (("topic", topic), ("noun", noun), ("obj", obj)))  # fmt: skip
        return {
            "A": rng.choice(people), "B": rng.choice(people), "day": rng.choice(DAYS),
            "noun": noun, "noun_c": noun.capitalize(), "verb": rng.choice(VERBS),
            "verb2": rng.choice(["approve", "review", "delay", "sign", "block"]),
            "obj": obj, "obj2": rng.choice(OBJECTS), "place": rng.choice(PLACES),
            "topic": topic, "topic_c": topic.capitalize(), "move": rng.choice(MOVES),
            "n": str(rng.randint(2, 95)), "month": rng.choice(MONTHS), "ord": rng.choice(ORDINALS),
            "c1": c1, "c2": c2, "d": str(rng.randint(0, 9)),
        }  # fmt: skip

    def clean(self) -> tuple[str, list[str]]:
        """A headline and paragraphs; some with a wire prefix, a compound name or result lines."""
        rng = self.rng
        people = [f"{rng.choice(KNOWN_FIRST)} {self.name()}" for _ in range(rng.randint(1, 3))]
        surnames = [p.split()[-1] for p in people]
        # Half the stories are about one thing, named again and again as news copy does.
        slot, words = rng.choice([("noun", NOUNS), ("obj", OBJECTS), ("topic", TOPICS)])
        subject = (slot, rng.choice(words) if rng.random() < 0.5 else "")
        title = rng.choice(HEADLINES).format(**self._slots(surnames, subject))
        paragraphs: list[str] = []
        for _ in range(rng.choice([1, 2, 3, 4, 6, 9, 14])):
            sentences = [
                rng.choice(TEMPLATES).format(
                    **self._slots(people if not paragraphs else surnames, subject)
                )
                for _ in range(rng.randint(1, 4))
            ]
            paragraphs.append(" ".join(sentences))
        extra = rng.random()
        if extra < 0.1:
            title = rng.choice(WIRE_PREFIXES) + title
        elif extra < 0.2:  # a real compound name, written the same way in the text
            compound = f"{self.pseudo_word().capitalize()}-{self.pseudo_word().capitalize()}"
            title = f"{compound} {rng.choice(['wins', 'loses', 'bids for'])} {rng.choice(OBJECTS)}"
            paragraphs[0] = (
                f"{compound} said on {rng.choice(DAYS)} it had agreed terms. " + paragraphs[0]
            )
        elif extra < 0.28:
            lines = [
                rng.choice(RESULT_LINES).format(**self._slots(surnames))
                for _ in range(rng.randint(3, 8))
            ]
            paragraphs.insert(1, "\n".join(lines))
        elif extra < 0.44:  # brand names fused from words ("FleetBoston", "carloadings")
            brand = rng.choice([self.pseudo_word().capitalize(), rng.choice(PLACES)]) + rng.choice(
                ["Group", "Network", "Care", "Live", "bank", "World", "Tech", "on"]
            )
            compound = rng.choice(TOPICS) + rng.choice(["makers", "loadings", "writers", "room"])
            for _ in range(rng.randint(1, 2)):
                i = rng.randrange(len(paragraphs))
                paragraphs[i] += f" {brand} reported {compound} {rng.choice(MOVES)}."
        elif extra < 0.52:  # one surname in the headline and many times in the text
            name = surnames[0]
            title = f"{name} {rng.choice(['wins', 'quits', 'defends'])} {rng.choice(OBJECTS)}"
            paragraphs = [f"{p} {name} said." for p in paragraphs]
        elif extra < 0.60:  # one word many times in a short passage, in its grammar
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), self._focused(people))
        return title, self._slips(paragraphs)

    def _focused(self, people: list[str]) -> str:
        """A passage that names one thing again and again as real copy does: a figure followed
        sentence by sentence, or a line-up where a club stands after every name."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.5:
            word = rng.choice(TOPICS)
            sentences = [
                f"{word.capitalize()} {rng.choice(MOVES)} {rng.randint(2, 9)} percent in "
                f"{rng.choice(MONTHS)}.",
                f"The fall in {word} was the {rng.choice(ORDINALS)} this year.",
                f"Analysts had expected {word} to rise, and said lower {word} would weigh on "
                f"the {rng.choice(NOUNS)}.",
                f"The {rng.choice(NOUNS)} said {word} in {rng.choice(PLACES)} were steady.",
            ]
            return " ".join(sentences)
        clubs = [self.pseudo_word().capitalize() for _ in range(rng.randint(2, 3))]
        return (
            ", ".join(
                f"{rng.choice('ABCDEGJKLMPRST')} {rng.choice(KNOWN_LAST)} ({rng.choice(clubs)})"
                for _ in range(rng.randint(8, 16))
            )
            + "."
        )

    def _slips(self, paragraphs: list[str]) -> list[str]:
        """The slips real copy has: a space lost between two words ("Computerand") and a letter
        dropped, doubled or swapped ("Wednsday"), so a lone fused word is not proof of spam."""
        rng = self.rng
        out = list(paragraphs)
        for _ in range(rng.choice([0, 0, 0, 0, 1, 2])):
            i = rng.randrange(len(out))
            tokens = out[i].split(" ")
            pairs = [
                k
                for k in range(len(tokens) - 1)
                if tokens[k].isalpha()
                and tokens[k + 1].isalpha()
                and self.lexicon.is_known(tokens[k])
            ]
            if pairs:
                k = rng.choice(pairs)
                tokens[k : k + 2] = [tokens[k] + tokens[k + 1]]
                out[i] = " ".join(tokens)
        for _ in range(rng.choice([0, 0, 0, 0, 1, 2])):
            i = rng.randrange(len(out))
            tokens = out[i].split(" ")
            long = [k for k, t in enumerate(tokens) if t.isalpha() and len(t) >= 6]
            if long:
                k = rng.choice(long)
                word, at = tokens[k], rng.randrange(1, len(tokens[k]) - 2)
                tokens[k] = rng.choice(
                    [
                        word[:at] + word[at + 1 :],
                        word[:at] + word[at] + word[at:],
                        word[:at] + word[at + 1] + word[at] + word[at + 2 :],
                    ]
                )
                out[i] = " ".join(tokens)
        return out

    # --- spam patterns -----------------------------------------------------------------------
    def _glue(
        self, paragraphs: list[str], keyword: str, times: int, onto: set[str] | None = None
    ) -> list[str]:
        out = list(paragraphs)
        for _ in range(times):
            i = self.rng.randrange(len(out))
            tokens = out[i].split(" ")
            letters = [
                k for k, t in enumerate(tokens) if t[:1].isalpha() and (not onto or t in onto)
            ] or [0]
            j = self.rng.choice(letters)
            if self.rng.random() < 0.25 and tokens[0][:1].isalpha():
                j = 0  # at the very start: "Keywordthe ..."
            word = tokens[j]
            tokens[j] = keyword + (word[:1].lower() + word[1:] if j == 0 else word)
            out[i] = " ".join(tokens)
        return out

    def _stuff(self, paragraphs: list[str], keyword: str) -> list[str]:
        rng = self.rng
        words = " ".join(paragraphs).split(" ")
        start = rng.randrange(max(1, len(words) - 40))
        span = rng.randint(30, 90)
        count = max(6, int(span * rng.uniform(0.15, 0.35)))
        for _ in range(count):
            words.insert(start + rng.randrange(span), keyword)
        per = max(1, len(words) // len(paragraphs))
        return [" ".join(words[k : k + per]) for k in range(0, len(words), per)]

    def _navigation(self, keyword: str | None) -> list[tuple[str, list[str]]]:
        rng = self.rng
        blocks = []
        for label in rng.sample(NAV_LABELS, rng.randint(2, 5)):
            items = []
            for _ in range(rng.randint(3, 6)):
                headline = rng.choice(HEADLINES).format(**self._slots([self.name()]))
                items.append(
                    f"{keyword} {headline}" if keyword and rng.random() < 0.5 else headline
                )
            if label == "Tags":
                items = [rng.choice(TOPICS).capitalize() for _ in range(3)] + (
                    [keyword] if keyword else []
                )
            blocks.append((label, items))
        return blocks

    def spam(self, pattern: str, title: str = "", paragraphs: list[str] | None = None) -> Example:
        """One spam item of `pattern`, made from a generated clean item or from the given one."""
        rng = self.rng
        if not paragraphs:
            title, paragraphs = self.clean()
        paragraphs = list(paragraphs)
        keyword = self.keyword(real=pattern not in ("title", "portal"))
        nav: list[tuple[str, list[str]]] = []
        links = False
        if pattern == "title":
            after = title if rng.random() < 0.7 else title[:1].lower() + title[1:]
            title = f"{keyword}-{after}"
            if rng.random() < 0.4:  # the keyword also elsewhere in the text
                paragraphs[-1] += f" {keyword} {rng.choice(['news', 'online', 'today', 'update'])}."
        elif pattern == "glued":
            # A keyword is there to be repeated: glued twice or more, or glued once and also
            # written on its own (a single fused token is what compound names look like).
            times = rng.choice([1, 1, 2, 3])
            alone = times == 1 and rng.random() < 0.5
            paragraphs = self._glue(paragraphs, keyword, times, FUNCTION_WORDS if alone else None)
            if times == 1 and not alone:
                i = rng.randrange(len(paragraphs))
                paragraphs[i] += f" {keyword} {rng.choice(['news', 'online', 'today', 'live'])}."
        elif pattern == "stuffing":
            keyword = rng.choice([keyword, keyword.lower(), rng.choice(REAL_KEYWORDS)])
            paragraphs = self._stuff(paragraphs, keyword)
        elif pattern == "navigation":
            nav = self._navigation(None if rng.random() < 0.5 else keyword)
            keyword = ""
        elif pattern == "links":
            links, keyword = True, ""
        elif pattern == "portal":
            title = f"{keyword}-{title}"
            paragraphs = self._glue(paragraphs, keyword, 1)
            first = paragraphs[0].split(" ", 1)
            paragraphs[0] = f"{keyword}{first[0][:1].lower()}{first[0][1:]} " + (
                first[1] if len(first) > 1 else ""
            )
            nav = self._navigation(keyword)
        raw = self.markup(paragraphs, nav, links)
        return Example(title, raw, "", True, pattern, keyword)

    def markup(self, paragraphs: list[str], nav: list[tuple[str, list[str]]], links: bool) -> str:
        rng = self.rng
        style = rng.choice(MARKUPS)
        body = _render(paragraphs, style)
        if nav:
            nav_html = _render_nav(nav, rng.choice(NAV_MARKUPS))
            where = rng.random()
            body = nav_html + body if where < 0.3 else body + nav_html
        if links:
            anchors = "".join(
                f"<li><a href='https://farm.example/{i}'>{' '.join(self.pseudo_word() for _ in range(rng.randint(2, 5)))}</a></li>"
                for i in range(rng.randint(15, 50))
            )
            body = _render(paragraphs[:1], "paragraphs") + f"<ul>{anchors}</ul>"
        return body

    def examples(self, n: int) -> Iterator[Example]:
        """n items: half clean, half spam spread evenly over the patterns."""
        for i in range(n):
            if i % 2 == 0:
                title, paragraphs = self.clean()
                yield Example(title, self.markup(paragraphs, [], False), "", False, "clean", "")
            else:
                yield self.spam(PATTERNS[(i // 2) % len(PATTERNS)])

    def vocabulary(self, n: int = 300) -> set[str]:
        """The words of n other clean items: the site's vocabulary for this generator."""
        from masthead.ingest.screening.lexicon import words

        seen: set[str] = set()
        for _ in range(n):
            title, paragraphs = self.clean()
            seen.update(w.lower() for w in words(" ".join([title, *paragraphs])))
        return seen


def _render(paragraphs: list[str], style: str) -> str:
    if style == "paragraphs":
        return "".join(f"<p>{escape(p)}</p>".replace("\n", "<br>") for p in paragraphs)
    if style == "breaks":
        return "<p>" + "<br><br>".join(escape(p) for p in paragraphs) + "</p>"
    if style == "newlines":
        return escape("\n\n".join(paragraphs))
    return escape(" ".join(p.replace("\n", " ") for p in paragraphs))


def _render_nav(nav: list[tuple[str, list[str]]], style: str) -> str:
    if style == "list":
        return "".join(
            f"<h3>{escape(label)}</h3><ul>"
            + "".join(
                f"<li><a href='https://portal.example/{i}'>{escape(item)}</a></li>"
                for i, item in enumerate(items)
            )
            + "</ul>"
            for label, items in nav
        )
    if style == "paragraphs":
        return "".join(
            f"<p>{escape(label)}</p>" + "".join(f"<p>{escape(i)}</p>" for i in items)
            for label, items in nav
        )
    if style == "breaks":
        return (
            "<p>" + "<br>".join(escape(x) for label, items in nav for x in [label, *items]) + "</p>"
        )
    if style == "newlines":
        return escape("\n" + "\n".join(x for label, items in nav for x in [label, *items]))
    return escape(" " + " ".join(x for label, items in nav for x in [label, *items]))


def split(
    name: str, n: int, lexicon: Lexicon | None = None, seed: int | None = None
) -> tuple[list[Example], set[str]]:
    """The fixed train or test split and the site vocabulary that goes with it; another `seed`
    draws a fresh sample of the same split (its keyword syllables, other items)."""
    seed = seed or {"train": 1, "test": 2}[name]
    generator = Generator(seed=seed, split=name, lexicon=lexicon)
    vocabulary = Generator(seed=seed + 100, split=name, lexicon=lexicon).vocabulary()
    return list(generator.examples(n)), vocabulary


Known = Callable[[str], bool]
