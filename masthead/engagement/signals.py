from wagtail.signals import page_unpublished

from masthead.engagement import services


def forget_live_path(sender, instance, **kwargs) -> None:
    services.live_path_forget(article_id=instance.pk)


def connect() -> None:
    page_unpublished.connect(forget_live_path, dispatch_uid="masthead-forget-live-path")
