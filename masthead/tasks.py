"""The one import site of the background-task decorator.

Moving to Django's built-in ``django.tasks`` (Django 6) is a change to this line only.
"""

from django_tasks import task

__all__ = ["task"]
