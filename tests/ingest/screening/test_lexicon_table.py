"""The screening lexicon's boundary table is built once per installation and read back equal."""

from masthead.ingest.screening import lexicon
from masthead.ingest.screening_tables import screening_tables_stored


def _fresh_table():
    lexicon._boundary_table.cache_clear()
    try:
        return lexicon._boundary_table()
    finally:
        lexicon._boundary_table.cache_clear()


def test_the_stored_boundary_table_equals_the_built_one_and_a_damaged_file_is_rebuilt(tmp_path):
    from django.conf import settings

    screening_tables_stored()  # as ingestion does before it makes its screener
    assert lexicon._table_dir == settings.VAR_DIR / "screening"
    lexicon.store_tables_in(tmp_path / "screening")
    try:
        built = lexicon._boundaries()

        first = _fresh_table()  # builds and stores
        (stored,) = (tmp_path / "screening").glob("boundaries-*.json")
        assert first == built

        stored.write_text('[{"the": 999}, {}]')  # a file that is read, not rebuilt, when present
        assert _fresh_table()[0]["the"] == 999

        stored.write_text("[{")  # a truncated file is built and stored again
        assert _fresh_table() == built
        assert [p.name for p in (tmp_path / "screening").iterdir()] == [stored.name]
        assert _fresh_table() == built  # read back from the rewritten file
    finally:
        lexicon.store_tables_in(settings.VAR_DIR / "screening")
