from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Offline evaluation: replays click logs and labelled news sets through discovery's scorers.
    It sits above discovery and the demo app (it replays the demo's simulated traffic)."""

    name = "masthead.evaluation"
    label = "evaluation"
