import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

if settings.MASTHEAD_SECRET_KEY_MISSING:
    # Refuse to serve at all rather than fail on the first request that signs something.
    sys.exit(f"masthead: {settings.SECRET_KEY_MISSING_MESSAGE}")
application = get_wsgi_application()
