"""WSGI entry point (gunicorn recovery.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

application = get_wsgi_application()

# A missing or read-only data directory or database: a clear message and no start, not a 500 on
# every page (recovery.checks).
from recovery.checks import refuse_to_start_without_storage  # noqa: E402

refuse_to_start_without_storage()
