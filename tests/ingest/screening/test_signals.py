"""Signals behind the screening model: lexicon, fused tokens, windows, navigation in any markup."""

import pytest

from masthead.ingest.screening import signals
from masthead.ingest.screening.lexicon import Lexicon


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon()


def test_a_keyword_fused_onto_a_word_splits_into_the_unknown_piece_and_the_word(lexicon):
    split = lexicon.split("Rekubitthe")
    assert (split.piece, split.word, split.piece_first) == ("Rekubit", "the", True)
    assert lexicon.split("government") is None  # a word of the language is never split


def test_a_boundary_many_real_words_have_is_less_suspicious_than_a_rare_one(lexicon):
    name = lexicon.split("Kristersson")  # "-son" / "-on": how names end
    glued = lexicon.split("Rekubitthe")
    assert lexicon.boundary_rarity(name) < lexicon.boundary_rarity(glued)


def test_the_sites_own_vocabulary_makes_a_word_known():
    assert not Lexicon().is_known("Zanvexo")
    assert Lexicon({"zanvexo"}.__contains__).is_known("Zanvexo")


@pytest.mark.parametrize(
    "raw",
    [
        "<p>Body text.</p><p>Related</p><p>One story</p><p>Ranking</p><p>Two story</p>",
        "<p>Body text.<br>Related<br>One story<br>Ranking<br>Two story</p>",
        "<p>Body text.</p><h3>Related</h3><ul><li>One story</li></ul><h3>Ranking</h3><ol><li>Two</li></ol>",
        "Body text.\nRelated\nOne story\nRanking\nTwo story",
        "Body text went on for a while Related One story Another story Ranking 1 Two story",
    ],
    ids=["paragraphs", "breaks", "lists", "newlines", "one-block"],
)
def test_navigation_labels_are_found_whatever_the_markup(lexicon, raw):
    found = signals.extract(title="A title", text="", raw_html=raw, lexicon=lexicon)
    assert found.evidence["navigation"] == "Ranking, Related"


def test_ordinary_sentences_that_open_with_a_label_word_are_not_navigation(lexicon):
    raw = "<p>Like many banks, it cut rates. Related costs rose. Popular demand fell.</p>"
    found = signals.extract(title="Banks cut rates", text="", raw_html=raw, lexicon=lexicon)
    assert found.values["nav_labels"] == 0


def test_stuffing_is_measured_in_a_window_so_a_long_article_cannot_dilute_it(lexicon):
    prose = " ".join(["The council met on Monday and agreed the budget for schools."] * 60)
    stuffed = "loans best loans cheap loans fast loans today loans online loans now"
    found = signals.extract(
        title="Budget agreed", text=f"{prose} {stuffed} {prose}", lexicon=lexicon
    )
    assert found.values["stuffing_total_share"] < 0.02
    assert found.values["stuffing_window_share"] >= 0.15
    assert found.evidence["stuffing"].startswith("loans")


def test_units_repeated_in_a_results_table_are_not_prose_stuffing(lexicon):
    table = (
        "Shr 12 cts vs 10 cts. Net 1.2 mln vs 1.1 mln. Shr 30 cts vs 28 cts. Net 4 mln vs 3 mln."
    )
    found = signals.extract(title="Results", text=table, lexicon=lexicon)
    assert found.values["stuffing_window_share"] == 0
    assert found.values["stuffing_prose"] == 0


def test_the_units_of_a_table_do_not_hide_a_keyword_stuffed_into_its_prose(lexicon):
    table = "Shr 12 cts vs 10 cts. Net 1.2 mln vs 1.1 mln. " * 4
    prose = "The board met and crypto agreed crypto the plan crypto for crypto the year crypto."
    found = signals.extract(title="Results", text=table + prose, lexicon=lexicon)
    assert found.evidence["stuffing"].startswith("crypto")
    assert found.values["stuffing_short_share"] > 0


def test_a_keyword_leading_several_fused_words_is_the_evidence(lexicon):
    text = "Officials met, and Rekubitthe government agreed. Rekubitand others said so."
    found = signals.extract(title="Talks open", text=text, lexicon=lexicon)
    assert found.values["glued_forms"] > 0
    assert found.evidence["glued"] == "Rekubit"


@pytest.mark.parametrize(
    "token,piece,word",
    [
        ("Wimgorsepdaianalysts", "Wimgorsepdai", "analysts"),  # not "wi" + the rest
        ("Forexforecast", "Forex", "forecast"),  # not "for" + the rest
        ("BINUMOZAXsaid", "BINUMOZAX", "said"),
    ],
)
def test_segmentation_prefers_the_likeliest_reading(lexicon, token, piece, word):
    split = lexicon.split(token)
    assert (split.piece, split.word) == (piece, word)


def test_a_keyword_fused_onto_a_name_the_text_uses_is_split_there(lexicon):
    split = lexicon.split("Seppelorurahuman", {"orurahuman"})
    assert (split.piece, split.word) == ("Seppel", "orurahuman")


def test_a_camel_case_name_is_not_cut_after_its_capital(lexicon):
    split = lexicon.split("ZanvorCare")
    assert split is None or split.piece != "ZanvorC"


def test_a_typo_of_a_word_is_recognised(lexicon):
    assert lexicon.near_word("Nonethless")
    assert not lexicon.near_word("Rekubitthe")


def test_a_typo_is_not_read_as_a_glued_keyword(lexicon):
    text = "Nonethless, the council agreed the budget on Monday after a long debate."
    found = signals.extract(title="Budget agreed", text=text, lexicon=lexicon)
    assert found.evidence.get("glued") != "Noneth"
    assert found.values["glued_typos"] == 1


def test_a_title_prefix_written_the_same_way_in_the_text_is_a_compound(lexicon):
    found = signals.extract(
        title="Zanvor-Kellet wins contract",
        text="Zanvor-Kellet said on Monday it had won the contract.",
        lexicon=lexicon,
    )
    assert found.values["title_compound_absent"] == 0


def test_a_common_word_capitalised_and_fused_onto_a_function_word_is_evidence(lexicon):
    found = signals.extract(
        title="Council agrees budget",
        text="The council met on Monday and approved Casinothe budget for schools.",
        lexicon=lexicon,
    )
    assert found.evidence["glued"] == "Casino"
    assert found.values["glued_common_capital"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "The minister told reporters in Mumbaithat the budget was final.",  # after "in"
        "Officials said on Mondaythat the budget was final.",  # a day
        "Marc Vienot said the bank would grow. Chairman Marc Vienotsaid so again.",  # a name
        "A survey by Cablevision suggests that many men prefer to shop online.",  # a brand
    ],
)
def test_names_and_brands_fused_onto_a_word_are_not_a_capitalised_common_word(lexicon, text):
    found = signals.extract(title="Budget", text=text, lexicon=lexicon)
    assert found.values["glued_common_capital"] == 0


def test_a_keyword_in_front_of_a_sentence_opener_is_told_from_a_lost_space(lexicon):
    keyword = signals.extract(
        title="Talks",
        text="The union met. The board agreed. Rekubitthe council voted on Monday.",
        lexicon=lexicon,
    )
    lost_space = signals.extract(
        title="Talks",
        text="The union met. The board agreed. Thecouncil voted on Monday.",
        lexicon=lexicon,
    )
    assert keyword.values["glued_word_opens"] == 1
    assert lost_space.values["glued_word_opens"] == 0


def test_a_stuffed_word_breaks_the_grammar_a_repeated_topic_word_keeps(lexicon):
    refrain = (
        '"For a government that lectures everyone on choice - choice on public service, '
        'choice on this and choice on that - there is no choice," he said.'
    )
    stuffed = (
        "The board loans met and agreed loans the plan. loans The council said loans the "
        "vote would come loans later."
    )
    kept = signals.extract(title="Pensions", text=refrain, lexicon=lexicon)
    broken = signals.extract(title="Budget", text=stuffed, lexicon=lexicon)
    assert kept.values["stuffing_out_of_place"] == 0
    assert kept.values["stuffing_doubled"] == 0  # "choice - choice" is not back to back
    assert broken.values["stuffing_out_of_place"] >= 0.5


def test_a_word_written_as_a_keyword_is_and_fused_on_is_evidence(lexicon):
    keyword = signals.extract(
        title="Council agrees budget",
        text="It does little for households Bonusfacing higher wages. Bonus live. "
        "The council met on Monday.",
        lexicon=lexicon,
    )
    topic = signals.extract(
        title="Council agrees budget",
        text="The bonus scheme was approved. It does little for households Bonusfacing higher "
        "wages. Bonus live.",
        lexicon=lexicon,
    )
    assert keyword.evidence["glued"] == "Bonus"
    assert keyword.values["glued_word_echoed"] == 1
    assert topic.values["glued_word_echoed"] == 0  # the story uses the word in its sentences


def test_only_a_known_word_after_a_preposition_of_place_reads_as_a_place(lexicon):
    made_up = signals.extract(
        title="Exports", text="Exports rose, according to figures from Pihafuthe hospital.",
        lexicon=lexicon,
    )  # fmt: skip
    place = signals.extract(
        title="Budget", text="The minister told reporters in Mumbaithat the budget was final.",
        lexicon=lexicon,
    )  # fmt: skip
    assert made_up.values["glued_piece_named"] == 0
    assert place.values["glued_piece_named"] == 1


def test_a_piece_before_a_lower_case_first_word_and_a_capital_is_evidence(lexicon):
    keyword = signals.extract(
        title="Budget", text="Bitshadavid Sodoturiter said the plan was final.", lexicon=lexicon
    )
    lost_space = signals.extract(
        title="Budget", text="Thecouncil voted. Tarceva is a drug. But it failed.", lexicon=lexicon
    )
    assert keyword.values["glued_before_name"] == 1
    assert lost_space.values["glued_before_name"] == 0


def test_a_phrase_said_again_counts_once_but_a_keyword_beside_function_words_does_not(lexicon):
    story = (
        "The draft animal welfare bill could leave anglers facing prosecution. The bill would "
        "improve animal welfare, and animal welfare officers could act. Animal welfare groups "
        "welcomed it, and animal welfare law would change."
    )
    found = signals.extract(title="Anglers could face prosecution", text=story, lexicon=lexicon)
    assert found.values["stuffing_window_share"] == 0
    stuffed = (
        "The board loans met and agreed loans the plan. The council said loans the vote "
        "would loans the budget and come loans the day after."
    )
    held = signals.extract(title="Budget", text=stuffed, lexicon=lexicon)
    assert held.values["stuffing_window_share"] > 0


def test_a_keyword_written_on_its_own_is_found_fused_onto_a_typo_or_a_lost_space(lexicon):
    # "cirtics" is a typo and "thethird" a lost space: neither splits into piece + word, but
    # the keyword's own sentence ("Mesuzen news.") is at the edge of the fused token.
    for text in (
        "Mesuzencirtics of the vote say it does little. Mesuzen news. The board met on Monday.",
        "Sales rose in Pillsthethird quarter. Pills online. The board met on Monday.",
    ):
        found = signals.extract(title="Board meets", text=text, lexicon=lexicon)
        assert found.values["glued_echo_fused"] == 1, text
        assert found.evidence["glued"] in text.split(". ")[1]


@pytest.mark.parametrize(
    "text",
    [
        # a name or a topic word the story also writes in its sentences
        "The bonus scheme was approved. Bonusfacing staff were told. Bonus paid.",
        # a short sentence that is a name ("Smith said."), a name fused nowhere
        "Smith said. Prices rose in Paris on Monday and Smithers agreed.",
        # a place written on its own, and a word that holds it
        "Paris today. The Parisbased group said profits rose.",
    ],
)
def test_a_word_written_on_its_own_is_no_echo_when_the_text_uses_it_as_a_word(lexicon, text):
    found = signals.extract(title="Profits rise", text=text, lexicon=lexicon)
    assert found.values["glued_echo_fused"] == 0


def test_a_token_that_starts_with_the_same_piece_twice_is_evidence(lexicon):
    found = signals.extract(
        title="Rates", text="RefureRefureBramitorreTech reported higher rates.", lexicon=lexicon
    )
    assert found.values["glued_stutter"] == 1
    assert found.evidence["glued"] == "Refure"
    plain = signals.extract(
        title="Rates", text="The Walla Walla council reported higher rates.", lexicon=lexicon
    )
    assert plain.values["glued_stutter"] == 0


def test_a_word_repeated_before_the_same_preposition_is_a_refrain_not_stuffing(lexicon):
    refrain = (
        'He warned there could be further walkouts unless there was a rethink. "For a '
        "government that lectures everyone on choice - choice on public service, choice on this "
        'and choice on that - it tells public sector workers there is no choice," he said.'
    )
    found = signals.extract(title="Talks aim to avert strike", text=refrain, lexicon=lexicon)
    assert found.values["stuffing_window_share"] == 0
    stuffed = (
        "The board loans met on Monday and loans agreed the plan. The council loans said "
        "the vote loans would come loans after talks, and the loans budget was final."
    )
    held = signals.extract(title="Budget", text=stuffed, lexicon=lexicon)
    assert held.values["stuffing_window_share"] > 0


def test_one_use_of_a_broken_word_is_not_stuffing(lexicon):
    found = signals.extract(
        title="Smoking ban would target pubs",
        text="ritain 's government proposed banning smoking in most public places yesterday, "
        "setting off debate over what one smoker decried as the brainchild of a busybody.",
        lexicon=lexicon,
    )
    stuffing = [n for n in signals.FEATURES if n.startswith("stuffing_")]
    assert all(found.values[n] == 0 for n in stuffing), {n: found.values[n] for n in stuffing}


def test_a_name_written_on_its_own_at_the_end_of_a_fused_token_does_not_replace_the_keyword(
    lexicon,
):
    found = signals.extract(
        title="Talks resume",
        text="Talks resumed on Monday. Officials met MESURWilson in Paris. Wilson said.",
        lexicon=lexicon,
    )
    assert found.values["glued_echo_fused"] == 1
    assert found.evidence["glued"] == "MESUR"


def test_a_piece_in_front_of_a_first_word_the_text_writes_on_its_own_is_evidence(lexicon):
    keyword = signals.extract(
        title="Budget",
        text="The fund said the debt was high. Kukuzodebt dropped 14 percent in March.",
        lexicon=lexicon,
    )
    brand = signals.extract(
        title="Budget",
        text="The fund said the loans were high. Kukuzobank reported sales fell.",
        lexicon=lexicon,
    )
    assert keyword.values["glued_word_used"] == 1
    assert brand.values["glued_word_used"] == 0
