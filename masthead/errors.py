"""Errors shared by the settings and the `masthead` command (no Django import: settings use it)."""


class SettingsError(Exception):
    """A setting that cannot be used as given; `masthead` prints it as one line."""
