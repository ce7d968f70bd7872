"""Moderators may read the ingested items (what came in, what was held and why); managing
sources stays with administrators, since a "publish at once" source bypasses moderation."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure this one exists now.
    config = apps.get_app_config("ingest")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    admin_access = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    view_item = Permission.objects.get(content_type__app_label="ingest", codename="view_item")
    for group in Group.objects.filter(name="Moderators"):
        group.permissions.add(view_item, *([admin_access] if admin_access else []))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    view_item = Permission.objects.filter(content_type__app_label="ingest", codename="view_item")
    for group in Group.objects.filter(name="Moderators"):
        group.permissions.remove(*view_item)


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0002_source_url_check"),
        ("news", "0002_initial_site"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
