"""The `masthead` command: Django's management entry point with Masthead's settings.

Configuration mistakes end in one line on stderr and exit status 2, never a traceback
(pass --traceback to see one). Commands that serve or sign need SECRET_KEY when DEBUG is off;
the others (--help, check, migrate, collectstatic, generate, ...) run without it.
"""

import os
import sys

# Commands that serve pages, which sign sessions, CSRF tokens and reader ids.
NEEDS_SECRET = frozenset({"runserver", "testserver"})
# Commands whose errors while loading the apps Django reports itself (the autoreloader).
SETS_UP_ITSELF = frozenset({"runserver"})


def _command(argv: list[str]) -> str:
    return next((arg for arg in argv[1:] if not arg.startswith("-")), "")


def _fail(message: str) -> None:
    sys.stderr.write(f"masthead: {message}\n")
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from masthead.collector import paused_while_loading
    from masthead.errors import SettingsError

    show_traceback = "--traceback" in argv
    try:
        if settings.MASTHEAD_SECRET_KEY_MISSING and _command(argv) in NEEDS_SECRET:
            _fail(f"`{_command(argv)}` needs a secret: {settings.SECRET_KEY_MISSING_MESSAGE}")
        if _command(argv) not in SETS_UP_ITSELF:
            with paused_while_loading():  # then Django's own call finds the apps loaded
                django.setup()
        execute_from_command_line(argv)
    except SettingsError as error:
        if show_traceback:
            raise
        _fail(str(error))
    except ImproperlyConfigured as error:
        if show_traceback:
            raise
        # Django's own wording ("must not be empty") does not say how to fix it.
        secret = "SECRET_KEY" in str(error) and settings.MASTHEAD_SECRET_KEY_MISSING
        _fail(settings.SECRET_KEY_MISSING_MESSAGE if secret else str(error))


if __name__ == "__main__":
    main()
