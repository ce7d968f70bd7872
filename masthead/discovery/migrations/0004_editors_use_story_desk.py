"""Editors and Moderators get discovery.use_story_desk."""

from django.db import migrations

GROUPS = ["Editors", "Moderators"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="discovery", model="storydecision"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="use_story_desk",
        defaults={"name": "Can merge, split and lock stories"},
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="discovery", codename="use_story_desk"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0003_storygroup_storydecision_storygroupmember"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
