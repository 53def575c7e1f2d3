"""Settings for the test suite: the real settings with fast hashing and in-memory e-mail."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "0")

from recovery.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="recovery-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
AXES_ENABLED = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
JOBS_RUN_IMMEDIATELY = True

# Tests of concurrent requests in threads need an SQLite database in a file, as in production
# (threads sharing an in-memory database lock whole tables instead of waiting their turn): they
# run themselves again in a process with RECOVERY_TEST_SQLITE_FILE set to a file's path.
if os.environ.get("RECOVERY_TEST_SQLITE_FILE") and DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ["RECOVERY_TEST_SQLITE_FILE"]}  # noqa: F405
