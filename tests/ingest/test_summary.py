"""Summaries under ingested headlines: whole sentences, paragraph breaks kept, no repeats."""

import pytest

from masthead.ingest import clean
from masthead.ingest.summary import DEK_LENGTH, dek_and_body, lead, sentences


def test_paragraphs_keep_a_space_between_them_in_plain_text():
    assert clean.text_of("<p>It considers a cut.</p><p>Policymakers voted.</p>") == (
        "It considers a cut. Policymakers voted."
    )


def test_sentences_do_not_break_after_initials_or_titles():
    assert sentences('The U.S. Treasury said so. Mr. Lee agreed. "Yes," he said.') == [
        "The U.S. Treasury said so.",
        "Mr. Lee agreed.",
        '"Yes," he said.',
    ]


def test_a_summary_is_whole_sentences_within_the_limit():
    text = (
        "Rates were held. " * 3
        + "The board would rather be late than reverse course within months."
    )
    assert lead(text, 60) == "Rates were held. Rates were held. Rates were held."


def test_a_first_sentence_longer_than_the_limit_is_cut_at_a_word_and_marked():
    out = lead("word " * 100, 40)
    assert out.endswith("…") and len(out) <= 40 and "wor…" not in out


def test_the_lead_leaves_the_body_when_it_becomes_the_summary():
    dek, body = dek_and_body(
        title="Bank holds rates",
        summary_html="",
        body_html="<p>The bank held rates.</p><p>Bonds rallied.</p>",
    )
    assert dek == "The bank held rates."
    assert body == "<p>Bonds rallied.</p>"


def test_a_headline_repeated_as_the_first_paragraph_is_dropped():
    dek, body = dek_and_body(
        title="Bank holds rates",
        summary_html="<p>The bank held rates again.</p>",
        body_html="<p>Bank holds rates</p><p>The bank held rates again.</p><p>Bonds rallied.</p>",
    )
    assert dek == "The bank held rates again."
    assert body == "<p>Bonds rallied.</p>"


def test_a_one_paragraph_item_keeps_its_last_sentence_in_the_body():
    dek, body = dek_and_body(
        title="Storm closes ports",
        summary_html="",
        body_html="<p>A storm closed ports. Ferries were cancelled.</p>",
    )
    assert dek == "A storm closed ports."
    assert "Ferries were cancelled." in body and "A storm closed ports." not in body


@pytest.mark.parametrize("limit", [40, 60, DEK_LENGTH])
def test_a_long_lead_paragraph_gives_whole_sentences_and_the_body_keeps_the_rest(limit):
    first = "One sentence here. Two sentences here. Three sentences here, and then more words."
    dek, body = dek_and_body(
        title="T", summary_html="", body_html=f"<p>{first}</p><p>Next.</p>", limit=limit
    )
    assert dek and len(dek) <= limit and dek.endswith(".")
    assert first.startswith(dek)
    rest = first[len(dek) :].strip()
    assert clean.text_of(body) == f"{rest} Next.".strip()


def test_loose_text_without_paragraph_tags_is_a_paragraph_of_its_own():
    dek, body = dek_and_body(title="T", summary_html="", body_html="Only one sentence here.")
    assert dek == "" and body == "<p>Only one sentence here.</p>"
