"""Sanitization, de-duplication keys, spam screening on the labelled set, tagging."""

import pytest

from masthead.ingest import clean, spam
from masthead.ingest.tagging import Gazetteer, Tagger

from .spam_cases import cases, vocabulary

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<body onload=alert(1)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<p onclick="alert(1)">click</p>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example"><input name=q></form>',
    '<img src="https://tracker.example/pixel.gif" width=1 height=1>',
    "<style>body{display:none}</style>",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]


@pytest.mark.parametrize("vector", XSS)
def test_known_xss_vectors_do_not_survive(vector):
    out = clean.sanitize(f"<p>News</p>{vector}")
    low = out.lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "onclick",
        "ontoggle",
        "javascript:",
        "vbscript:",
        "data:",
        "<iframe",
        "<svg",
        "<img",
        "<style",
        "<object",
        "<embed",
        "<form",
        "<meta",
        "style=",
    ):
        assert bad not in low, (vector, out)


def test_sanitized_html_becomes_body_blocks():
    raw = (
        "<div><p>First <strong>bold</strong> and <em>italic</em> with "
        "<a href='https://e.org' onclick='x()'>a link</a>.</p><h2>Sub</h2>"
        "<blockquote>Quoted words</blockquote><ul><li>one</li></ul>loose text<script>x()</script></div>"
    )
    blocks = clean.body_blocks(clean.sanitize(raw))
    assert [b[0] for b in blocks] == ["paragraph", "heading", "quote", "paragraph", "paragraph"]
    assert blocks[0][1].startswith("<p>First <b>bold</b> and <i>italic</i>")
    assert 'rel="noopener nofollow"' in blocks[0][1] and "onclick" not in blocks[0][1]
    assert blocks[1][1] == {"text": "Sub", "level": "h2"}
    assert "x()" not in str(blocks)


@pytest.mark.parametrize(
    "a,b",
    [
        ("https://News.Example.org/a?utm_source=rss&id=3#top", "https://news.example.org/a?id=3"),
        ("https://example.org:443/a?fbclid=1&b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("http://example.org", "http://example.org/"),
    ],
)
def test_urls_are_normalised(a, b):
    assert clean.url_normalize(a) == clean.url_normalize(b) == b


def test_content_hash_ignores_case_spacing_and_punctuation():
    assert clean.content_hash("Rates  held, again!") == clean.content_hash("rates held again")
    assert clean.content_hash("Rates held") != clean.content_hash("Rates cut")


# The labelled set the old word-list rules were written with, kept as a regression test for the
# model (which never saw it); floors a little under the measured 28/30, 28/30, 30/30, 30/30,
# 30/30 and 4/4 (docs/benchmarks.md).
OLD_SET_RECALL = {
    "title": 0.9,
    "glued": 0.9,
    "stuffing": 0.95,
    "navigation": 1.0,
    "links": 1.0,
    "hand-spam": 1.0,
}


def test_the_old_labelled_set_holds_no_clean_item_and_each_kind_of_spam_as_measured():
    vocab = vocabulary()
    held: dict[str, list[bool]] = {}
    for title, text, raw, _is_spam, kind in cases():
        flagged = bool(spam.screen(title=title, text=text, raw_html=raw, known=vocab.__contains__))
        held.setdefault(kind, []).append(flagged)
    assert not any(held["clean"]) and not any(held["hand-clean"])
    for kind, floor in OLD_SET_RECALL.items():
        assert sum(held[kind]) / len(held[kind]) >= floor, (kind, sum(held[kind]))


def test_each_rule_says_why():
    assert "front of the title: 'Rekubit'" in spam.screen(
        title="Rekubit-Talks have opened", text="Talks have opened between the governments."
    )
    assert "glued into the text: 'Rekubit'" in spam.screen(
        title="Talks open",
        text="Officials met, and Rekubitthe Azerbaijan government agreed. Rekubitand others.",
    )
    assert spam.screen(title="Coca-Cola lifts prices", text="Coca-Cola said prices rise.") == ""


def test_gazetteer_matches_whole_names_only():
    found = Gazetteer(["Federal Reserve", "Apple", "Oil"]).find(
        "The Federal Reserve held rates; Apple shares rose. Pineapple and toil were unaffected."
    )
    assert found == {"Federal Reserve": 1, "Apple": 1}


def test_tags_merge_feed_categories_known_tags_and_names():
    tagger = Tagger(["Federal Reserve", "Inflation", "Copper"])
    tags = tagger.suggest(
        title="Federal Reserve holds rates as inflation cools",
        text=(
            "The Federal Reserve held interest rates on Wednesday. Jerome Powell said inflation "
            "was cooling. Inflation fell to 2.9 percent. Jerome Powell spoke in Washington."
        ),
        categories=["Economy"],
    )
    assert tags[0] == "Economy"
    assert "Federal Reserve" in tags and "Inflation" in tags and "Copper" not in tags
    assert "Jerome Powell" in tags
