"""An index on wagtailcore_page.url_path, so a URL resolves to its page in one lookup.

Wagtail routes a request by walking the tree one level at a time (two queries per level);
HomePage.route resolves the whole path at once by url_path, which needs this index.
PostgreSQL gets a hash index: equality is all we need, and it has no key-length limit.
"""

from django.db import migrations

INDEX = "masthead_page_url_path"


def create_index(apps, schema_editor):
    using = "USING HASH " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailcore_page {using}(url_path)"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("news", "0003_search_document_index")]

    operations = [migrations.RunPython(create_index, drop_index)]
