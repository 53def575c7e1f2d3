"""Settings for the benchmark: the app's own, plus a hello-world view to compare pages with.

DJANGO_SETTINGS_MODULE=bench.settings
"""

from recovery.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
