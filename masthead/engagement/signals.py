from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import post_save
from wagtail.signals import page_unpublished

from masthead.engagement import services
from masthead.engagement.models import ReactionSettings
from masthead.engagement.selectors import REACTION_SETTINGS_KEY
from masthead.news.cache import content_generation_bump


def forget_live_path(sender, instance, **kwargs) -> None:
    services.live_path_forget(article_id=instance.pk)


def reaction_settings_changed(sender, instance, **kwargs) -> None:
    cache.delete(REACTION_SETTINGS_KEY)
    # Pages show the buttons and counts: cached copies must go.
    content_generation_bump()


def reaction_default_changed(sender, setting: str, **kwargs) -> None:
    # The environment's kinds apply until Settings > Reactions is first saved.
    if setting == "MASTHEAD_REACTION_KINDS":
        cache.delete(REACTION_SETTINGS_KEY)


def connect() -> None:
    setting_changed.connect(reaction_default_changed, dispatch_uid="masthead-reaction-default")
    post_save.connect(
        reaction_settings_changed,
        sender=ReactionSettings,
        dispatch_uid="masthead-reaction-settings-saved",
    )
    page_unpublished.connect(forget_live_path, dispatch_uid="masthead-forget-live-path")
