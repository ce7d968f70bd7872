"""On PostgreSQL, LZ4 instead of pglz for the large values every new article writes.

An article's body (JSON), its search row's body text and vectors, and an ingested article's
revision are each a few kilobytes, so PostgreSQL compresses them as the row is written. With
its default method, pglz, that was 7–8 % of the server's CPU in a profile of bulk creation.
LZ4 compresses the same values several times faster (10,000 search rows' body text and vector
inserted in 1.9–2.4 s with pglz, 0.7–1.1 s with LZ4, 0.6–0.8 s uncompressed) for about 2 % more
space, and decompresses faster too when searches read the body vectors back.
Only values written from now on are affected. A server built without LZ4 is left as it is.
"""

from django.db import migrations

COLUMNS = {
    "news_articlepage": ("dek", "body"),
    "wagtailsearch_indexentry": ("title", "autocomplete", "body", "title_text", "body_text"),
    "wagtailcore_revision": ("content",),
}


def _lz4_supported(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'"
        )
        found = cursor.fetchone()
    return bool(found and found[0])


def _set(schema_editor, method: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not _lz4_supported(connection):
        return
    quote = schema_editor.quote_name
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f"ALTER COLUMN {quote(column)} SET COMPRESSION {method}" for column in columns
        )
        schema_editor.execute(f"ALTER TABLE {quote(table)} {changes}")


def compress_with_lz4(apps, schema_editor):
    _set(schema_editor, "lz4")


def compress_by_default(apps, schema_editor):
    _set(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0007_searchqueryhour"),
        ("wagtailsearch", "0010_add_text_fields"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(compress_with_lz4, compress_by_default)]
