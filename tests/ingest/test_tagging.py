"""Feed categories become clean tag names."""

import pytest

from masthead.ingest.tagging import TAG_LENGTH, Tagger, tag_name_clean


@pytest.mark.parametrize(
    "category,name",
    [
        ("<b>Markets</b>", "Markets"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "alert(1)"),
        ("Oil\u202e lio", "Oil lio"),  # right-to-left override
        ("\u2067Energy\u2069", "Energy"),  # isolates
        ("zero\u200bwidth", "zerowidth"),
        ("  Tokyo\u00a0\n  Stocks ", "Tokyo Stocks"),
        ("Ｔｏｋｙｏ", "Tokyo"),
        ("bell\x07 and null\x00", "bell and null"),
        ("\u202e\u200b ", ""),
    ],
)
def test_tag_names_lose_markup_controls_and_bidi_overrides(category, name):
    assert tag_name_clean(category) == name


def test_a_long_category_is_cut_at_a_word():
    cleaned = tag_name_clean("word " * 40)
    assert len(cleaned) <= TAG_LENGTH and cleaned.endswith("word")


def test_the_tagger_applies_the_cleaning_to_feed_categories():
    tags = Tagger([]).suggest(title="", text="", categories=["<i>Oil</i>\u202e", "\u200b", "oil"])
    assert tags == ["Oil"]
