from django.db import migrations


class Migration(migrations.Migration):
    """One name for the "readers of this also read" list: Like, as the page and the API call it."""

    dependencies = [("discovery", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="articleprofile", old_name="also_read", new_name="like"),
    ]
