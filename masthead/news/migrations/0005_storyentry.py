import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0004_page_url_path_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoryEntry",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="story_entry",
                        serialize=False,
                        to="news.articlepage",
                    ),
                ),
                ("story", models.BigIntegerField(db_index=True)),
                ("is_lead", models.BooleanField(default=False)),
                ("source_count", models.PositiveIntegerField(default=1)),
                (
                    "lead",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="news.articlepage",
                    ),
                ),
            ],
        ),
    ]
