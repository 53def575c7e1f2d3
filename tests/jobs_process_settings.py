"""Settings for worker processes started by tests/jobs/test_worker_process.py: the real settings
(a database from DATABASE_URL) plus a slow job kind, and a short lease so the tests are quick."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "1")

from recovery.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobs.slowjobs"]  # noqa: F405
JOBS_RUN_IMMEDIATELY = False
JOBS_LEASE_SECONDS = 2
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
