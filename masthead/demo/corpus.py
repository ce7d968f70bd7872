"""A deterministic synthetic news corpus: channels, stories, articles and syndicated copies.

Plain Python, no Django: the same seed always gives the same corpus, so demos, tests and
benchmarks are repeatable. A *story* is one event (an entity doing something somewhere); it
is covered by one to several articles from the site's desks and from wires, some of them
near-identical syndicated copies of each other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# (slug, title, parent slug or None, desk line, vocabulary key)
CHANNELS = [
    ("markets", "Markets", None, "Markets Desk", "markets"),
    ("stocks", "Stocks", "markets", "Markets Desk", "markets"),
    ("currencies", "Currencies", "markets", "Markets Desk", "markets"),
    ("business", "Business", None, "Business Desk", "business"),
    ("technology", "Technology", None, "Technology Desk", "technology"),
    ("world", "World", None, "Foreign Desk", "world"),
    ("politics", "Politics", None, "Politics Desk", "politics"),
    ("sports", "Sports", None, "Sports Desk", "sports"),
    ("culture", "Culture", None, "Culture Desk", "culture"),
]

WIRES = ["Northwire", "Global Press Service", "Metro Wire", "Continental News Agency"]

FIRST_NAMES = (
    "Amelia Ben Chloe Daniel Elena Farid Grace Hiro Ines Jonas Kavya Liam Maya "
    "Noah Olga Pablo Quinn Rosa Samir Tara Umar Vera Wei Ximena Yusuf Zoe Aiko "
    "Bruno Carmen Dmitri"
).split(" ")
LAST_NAMES = (
    "Adams Bauer Chen Diaz Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Lopez "
    "Mensah Novak Okafor Patel Quintero Rossi Silva Tanaka Ueda Varga Weber Xu "
    "Yilmaz Zhang Moreau Costa"
).split(" ")

# The reporters of each desk: the site's own articles carry their bylines (and have author
# pages); wire copies carry none. (first name, last name, speciality)
STAFF: dict[str, list[tuple[str, str, str]]] = {
    "markets": [("Maya", "Okafor", "equities"), ("Hiro", "Tanaka", "currencies and bonds")],
    "business": [("Elena", "Rossi", "companies"), ("Samir", "Haddad", "trade and logistics")],
    "technology": [("Zoe", "Chen", "chips and AI"), ("Jonas", "Eriksen", "security")],
    "world": [("Ines", "Garcia", "diplomacy"), ("Farid", "Mensah", "humanitarian affairs")],
    "politics": [("Grace", "Novak", "parliament"), ("Daniel", "Weber", "elections")],
    "sports": [("Liam", "Silva", "football"), ("Kavya", "Patel", "tournaments")],
    "culture": [("Vera", "Moreau", "art and museums"), ("Bruno", "Costa", "film and music")],
}


def staff_members() -> list[tuple[str, str, str]]:
    """(name, desk vocabulary, speciality) of every staff reporter."""
    return [
        (f"{first} {last}", desk, speciality)
        for desk, people in STAFF.items()
        for first, last, speciality in people
    ]


VOCABULARY: dict[str, dict[str, list[str]]] = {
    "markets": {
        "actors": (
            "Halvorsen Bank,Orion Capital,Meridian Energy,Pacifica Mining,Arcadia Foods,"
            "Vantor Motors,Kestrel Airlines,Solenne Pharma,Brightwater Utilities,Tessera "
            "Semiconductors"
        ).split(","),
        "places": ("New York,London,Frankfurt,Tokyo,Hong Kong,Singapore,Zurich,Toronto").split(","),
        "events": (
            "shares jump after earnings beat,stock slides on weak guidance,bonds rally as "
            "yields fall,shares hit record high,stock tumbles after profit warning,"
            "announces share buyback,raises dividend,shares rebound after sell-off"
        ).split(","),
        "topics": (
            "Earnings,Interest rates,Bonds,Dividends,IPO,Central banks,Inflation,Commodities"
        ).split(","),
        "words": (
            "investors analysts quarter revenue guidance index futures yield volatility "
            "outlook margin trading session benchmark portfolio sentiment demand forecast"
        ).split(" "),
    },
    "business": {
        "actors": (
            "Lumen Retail,Carraway Logistics,Northstar Telecom,Bellweather Insurance,"
            "Granite Construction,Havel Breweries,Marlowe Media,Quayside Shipping"
        ).split(","),
        "places": ["Chicago", "Paris", "Milan", "Seoul", "Mumbai", "Sao Paulo", "Sydney", "Dublin"],
        "events": (
            "agrees takeover of rival,cuts jobs in restructuring,names new chief executive,"
            "opens first overseas plant,faces antitrust probe,settles lawsuit,expands into "
            "new markets,reports record sales"
        ).split(","),
        "topics": ("Mergers Jobs Retail Logistics Regulation Leadership Trade Startups").split(" "),
        "words": (
            "company executives board deal employees customers supply chain contract "
            "regulators growth strategy factory union shareholders competition costs"
        ).split(" "),
    },
    "technology": {
        "actors": (
            "Quanta Labs,Nimbus Cloud,Pixelforge,Aurora Robotics,Cobalt AI,Heliostat "
            "Devices,Fernwood Software,Vireo Networks"
        ).split(","),
        "places": (
            "San Francisco,Berlin,Bangalore,Tel Aviv,Stockholm,Austin,Shenzhen,Helsinki"
        ).split(","),
        "events": (
            "unveils new chip,launches AI assistant,suffers data breach,recalls faulty "
            "devices,opens research lab,wins cloud contract,cuts prices of flagship phone,"
            "releases open-source model"
        ).split(","),
        "topics": (
            "Artificial intelligence,Cybersecurity,Semiconductors,Cloud computing,"
            "Smartphones,Robotics,Privacy,Open source"
        ).split(","),
        "words": (
            "users software engineers platform data researchers devices network update "
            "security developers launch model hardware privacy performance"
        ).split(" "),
    },
    "world": {
        "actors": (
            "United Nations,European Union,African Union,Red Cross,World Health "
            "Organization,ASEAN,World Bank,IMF"
        ).split(","),
        "places": ["Nairobi", "Geneva", "Brussels", "Jakarta", "Lima", "Cairo", "Hanoi", "Warsaw"],
        "events": (
            "calls for ceasefire,pledges flood relief,hosts climate summit,warns of food "
            "shortages,approves emergency loan,sends election observers,launches "
            "vaccination drive,brokers prisoner exchange"
        ).split(","),
        "topics": (
            "Diplomacy,Climate,Humanitarian aid,Elections,Health,Migration,Conflict,Development"
        ).split(","),
        "words": (
            "officials government talks delegation region crisis agreement refugees "
            "ministers summit aid border population envoy negotiations"
        ).split(" "),
    },
    "politics": {
        "actors": (
            "Prime Minister Ellery,Senator Whitcombe,Governor Alvarez,Finance Minister "
            "Osei,Opposition leader Brandt,Mayor Lindqvist,Speaker Okoye,President "
            "Marchetti"
        ).split(","),
        "places": ("Washington Westminster Ottawa Canberra Berlin Madrid Rome Stockholm").split(
            " "
        ),
        "events": (
            "unveils budget plan,survives confidence vote,announces cabinet reshuffle,"
            "proposes tax reform,faces ethics inquiry,calls early election,signs housing "
            "bill,rejects spending cuts"
        ).split(","),
        "topics": (
            "Budget Elections Tax Housing Parliament Healthcare Education Immigration"
        ).split(" "),
        "words": (
            "lawmakers voters bill policy campaign coalition committee debate reform "
            "legislation poll party minister spending parliament constituency"
        ).split(" "),
    },
    "sports": {
        "actors": (
            "Riverside United,Harbor City FC,Northern Lions,Capital Comets,Valley Rangers,"
            "Eastside Eagles,Coastal Sharks,Highland Wolves"
        ).split(","),
        "places": ("Manchester,Madrid,Melbourne,Boston,Buenos Aires,Munich,Osaka,Cape Town").split(
            ","
        ),
        "events": (
            "win cup final on penalties,sign star striker,sack head coach,clinch league "
            "title,suffer shock defeat,break attendance record,reach semi-finals,appoint "
            "new captain"
        ).split(","),
        "topics": (
            "Football Transfers Championship Coaching Injuries Tournaments Basketball Tennis"
        ).split(" "),
        "words": (
            "season match fans coach squad goal victory league players injury stadium "
            "tournament title defence training transfer"
        ).split(" "),
    },
    "culture": {
        "actors": (
            "National Gallery,Royal Opera,Festival of Lights,Meridian Film Awards,Bluebird "
            "Records,City Ballet,Crescent Theatre,Harborview Museum"
        ).split(","),
        "places": ("Vienna Edinburgh Cannes Kyoto Venice Marrakesh Montreal Lisbon").split(" "),
        "events": (
            "opens blockbuster exhibition,announces award shortlist,restores lost "
            "masterpiece,cancels sold-out tour,premieres new opera,breaks box-office "
            "record,returns looted artefacts,celebrates centenary"
        ).split(","),
        "topics": ["Art", "Film", "Music", "Theatre", "Books", "Museums", "Festivals", "Heritage"],
        "words": (
            "audience artists critics premiere collection curator performance visitors "
            "tickets director stage gallery season festival director"
        ).split(" "),
    },
}

SENTENCES = [
    "{actor} said on {weekday} that {claim}.",
    "Analysts in {place} said the move reflected {noun} and {noun2}.",
    "The announcement came after weeks of speculation about {noun} and {noun2}.",
    "\u201cWe are confident about the {noun},\u201d a spokesperson for {actor} said.",
    "{person}, who follows {topic_lower} closely, called it \u201ca significant moment\u201d.",
    "Officials in {place} declined to comment on the {noun} or the {noun2}.",
    "The figures were {adj} than expected, according to people familiar with the {noun}.",
    "It is the {ordinal} such {noun} this year, after a similar episode in {month}.",
    "{actor} has faced questions about its {noun} since {month}.",
    "Critics argued that the {noun} would do little to address {noun2}.",
    "The decision affects roughly {number} {noun_plural} across the region.",
    "Further details are expected when {actor} publishes its report later this month.",
]
CLAIMS = (
    "the plan would go ahead as scheduled,talks had reached an advanced stage,it "
    "expected conditions to improve next year,the results showed the strategy was "
    "working,it would review the decision in the coming weeks"
).split(",")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ("January February March April May June July August September October November").split(" ")
ORDINALS = ["second", "third", "fourth", "fifth"]
ADJECTIVES = ["stronger", "weaker", "higher", "lower", "better", "worse"]


@dataclass(frozen=True)
class Channel:
    slug: str
    title: str
    parent: str | None
    desk: str
    vocabulary: str


@dataclass
class Article:
    channel: str
    title: str
    dek: str
    paragraphs: list[str]
    byline: str
    column: str
    source_name: str
    published_at: datetime
    tags: list[str]
    story: int
    is_syndicated: bool = False
    headings: dict[int, str] = field(default_factory=dict)
    quote: tuple[str, str] | None = None


def channels() -> list[Channel]:
    return [Channel(*row) for row in CHANNELS]


def article_blocks(article: Article) -> list[tuple[str, Any]]:
    """The article's body as (block type, stored value) pairs: paragraphs of rich text HTML,
    a heading half-way through long articles, a quote after the second paragraph."""
    body: list[tuple[str, Any]] = []
    for position, paragraph in enumerate(article.paragraphs):
        if position in article.headings:
            body.append(("heading", {"text": article.headings[position], "level": "h2"}))
        body.append(("paragraph", f"<p>{paragraph}</p>"))
        if position == 1 and article.quote:
            body.append(("quote", {"text": article.quote[0], "attribution": article.quote[1]}))
    return body


def stories_generate(job: tuple[int, datetime, int, int]) -> list[Article]:
    """Stories [first, last) of the corpus of (seed, now): what a worker process generates."""
    seed, now, first, last = job
    generator = CorpusGenerator(seed=seed, now=now)
    return [article for story in range(first, last) for article in generator.story(story)]


class CorpusGenerator:
    """Yields articles story by story; the n-th article depends only on (seed, n's story)."""

    def __init__(self, *, seed: int, now: datetime, days: int = 42):
        self.seed = seed
        self.now = now
        self.days = days
        self.channels = channels()

    def articles(self, count: int) -> Iterator[Article]:
        produced = 0
        story = 0
        while produced < count:
            for article in self.story(story):
                if produced == count:
                    return
                yield article
                produced += 1
            story += 1

    def story(self, story: int) -> list[Article]:
        """The articles of story number `story` (independent of every other story)."""
        rng = random.Random(f"{self.seed}:{story}")
        channel = rng.choice(self.channels)
        vocab = VOCABULARY[channel.vocabulary]
        actor = rng.choice(vocab["actors"])
        place = rng.choice(vocab["places"])
        event = rng.choice(vocab["events"])
        topics = rng.sample(vocab["topics"], k=2)
        # Newer stories are more frequent, as on a real site: skew the age towards now.
        age = timedelta(seconds=self.days * 86400 * rng.random() ** 1.6)
        started = self.now - age
        # The place and the day tell one story's headline from another story of the same actor
        # and event: listings show one entry per story, and identical headlines of two stories
        # would read as a repeat.
        day = f"{started.day} {started:%B}"
        base_title = f"{actor} {event} in {place} on {day}"
        coverage = rng.choices([1, 2, 3, 4, 6], weights=[40, 25, 18, 10, 7])[0]
        original = self._article(
            rng, channel, vocab, actor, place, base_title, topics, story, started
        )
        articles = [original]
        for copy in range(1, coverage):
            published = min(started + timedelta(minutes=rng.randint(5, 600)), self.now)
            if rng.random() < 0.5:
                articles.append(self._syndicated_copy(rng, original, published))
            else:
                title = (
                    f"{place}: {actor} {event} on {day}"
                    if copy % 2
                    else f"{base_title}: {rng.choice(vocab['words'])} in focus"
                )
                articles.append(
                    self._article(
                        rng, channel, vocab, actor, place, title, topics, story, published
                    )
                )
        return articles

    def _article(
        self, rng, channel, vocab, actor, place, title, topics, story, published
    ) -> Article:
        paragraph_count = rng.choice([3, 4, 5, 6, 8, 10, 14])
        paragraphs = [
            self._paragraph(rng, vocab, actor, place, topics) for _ in range(paragraph_count)
        ]
        dek = self._sentence(rng, vocab, actor, place, topics)
        headings = {}
        if paragraph_count >= 8:
            headings[paragraph_count // 2] = f"What {rng.choice(vocab['words'])} means for {place}"
        quote = None
        if rng.random() < 0.3:
            quote = (
                f"This is about the long-term {rng.choice(vocab['words'])}.",
                self._person(rng),
            )
        is_wire = rng.random() < 0.25
        source = rng.choice(WIRES) if is_wire else ""
        tags = [actor, place, *topics]
        return Article(
            channel=channel.slug,
            title=title[:250],
            dek=dek,
            paragraphs=paragraphs,
            byline="" if is_wire else self._reporter(rng, channel),
            column=source or channel.desk,
            source_name=source,
            published_at=published,
            tags=tags,
            story=story,
            headings=headings,
            quote=quote,
        )

    def _syndicated_copy(self, rng, original: Article, published: datetime) -> Article:
        """A near-identical copy of `original` from another wire: same text, light edits."""
        wire = rng.choice([w for w in WIRES if w != original.source_name])
        paragraphs = list(original.paragraphs)
        if len(paragraphs) > 3 and rng.random() < 0.5:
            paragraphs.pop()  # wires trim the tail
        prefix = rng.choice(["", "UPDATE 1-", "WRAPUP-", ""])
        return Article(
            channel=original.channel,
            title=f"{prefix}{original.title}"[:250],
            dek=original.dek,
            paragraphs=paragraphs,
            byline="",
            column=wire,
            source_name=wire,
            published_at=published,
            tags=list(original.tags),
            story=original.story,
            is_syndicated=True,
            headings=dict(original.headings),
            quote=original.quote,
        )

    def _paragraph(self, rng, vocab, actor, place, topics) -> str:
        templates = rng.sample(SENTENCES, k=rng.randint(2, 5))
        return " ".join(
            self._sentence(rng, vocab, actor, place, topics, template) for template in templates
        )

    def _sentence(self, rng, vocab, actor, place, topics, template=None) -> str:
        noun, noun2 = rng.sample(vocab["words"], k=2)
        return (template or rng.choice(SENTENCES)).format(
            actor=actor,
            place=place,
            weekday=rng.choice(WEEKDAYS),
            claim=rng.choice(CLAIMS),
            noun=noun,
            noun2=noun2,
            noun_plural=noun + "s",
            person=self._person(rng),
            topic_lower=rng.choice(topics).lower(),
            adj=rng.choice(ADJECTIVES),
            ordinal=rng.choice(ORDINALS),
            month=rng.choice(MONTHS),
            number=f"{rng.randint(2, 90) * 100:,}",
        )

    @staticmethod
    def _reporter(rng, channel: Channel) -> str:
        """One of the desk's staff, drawn with the same random calls as `_person` so the rest
        of the corpus does not change with the staff list."""
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        staff = STAFF[channel.vocabulary]
        pick = (FIRST_NAMES.index(first) * len(LAST_NAMES) + LAST_NAMES.index(last)) % len(staff)
        return "{} {}".format(*staff[pick][:2])

    @staticmethod
    def _person(rng) -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
