"""Settings for the test suite: the real settings, a throw-away data directory, fast hashing."""

import os
import tempfile

os.environ.setdefault("KLIYAN_DATA_DIR", tempfile.mkdtemp(prefix="kliyan-test-"))

from kliyan.config.settings import *  # noqa: E402,F403

# Argon2 is the production hasher (tested in accounts); tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Tests serve static files from the apps (finders), not from a collected directory.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
