import gc
import os
import sys

# The cyclic collector would walk what start-up loads (settings, apps, models, the URL conf:
# about 200,000 objects, nearly all kept) hundreds of times while it loads: about a tenth of a
# worker's start-up CPU. It is off until the end below (see masthead/collector.py).
gc.disable()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import get_resolver  # noqa: E402

if settings.MASTHEAD_SECRET_KEY_MISSING:
    # Refuse to serve at all rather than fail on the first request that signs something.
    sys.exit(f"masthead: {settings.SECRET_KEY_MISSING_MESSAGE}")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (loads the URL conf and the views' modules now)
# What is loaded by now (Django, Wagtail, the URL conf, every module) lives as long as the
# process: keep it out of the cyclic garbage collector's scans. Otherwise a full collection walks
# about 200,000 objects every few dozen requests, tens of milliseconds landing on one request.
gc.freeze()
gc.enable()
