"""Settings read from a clean environment: refuse to start without a secret key, and pass
Django's deployment checks with production-like values.

Each check runs in a subprocess whose environment is built from scratch, so nothing the test
run itself sets (SECRET_KEY, STATIC_MANIFEST, SECURE_SSL_REDIRECT, SECURE_COOKIES...) leaks in.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PROJECT_DIR = Path(settings.BASE_DIR)


def clean_env(**values: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "hrp.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(values)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


SETUP_DJANGO = [sys.executable, "-c", "import django; django.setup()"]


def production_secret_key() -> str:
    key = secrets.token_urlsafe(48)
    assert len(key) == 64
    return key


def test_refuses_to_start_without_secret_key() -> None:
    result = run(SETUP_DJANGO, clean_env())

    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. "
        "HRP Clinic refuses to start without it when DEBUG is off."
    )


def test_refuses_an_empty_secret_key() -> None:
    result = run(SETUP_DJANGO, clean_env(SECRET_KEY=""))

    assert result.returncode == 1
    assert result.stderr.count("SECRET_KEY is not set") == 1


def test_starts_without_secret_key_only_in_debug() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )

    result = run([sys.executable, "-c", script], clean_env(DEBUG="1"))

    assert (result.returncode, result.stdout) == (0, "True\n")


def test_defaults_are_safe_for_production() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DEMO_MODE, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS, "
        "s.STORAGES['staticfiles']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER)"
    )

    result = run([sys.executable, "-c", script], clean_env(SECRET_KEY=production_secret_key()))

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "False False True True True 31536000 [] "
        "whitenoise.storage.CompressedManifestStaticFilesStorage True\n"
    )


def fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def test_deploy_check_passes_with_production_settings() -> None:
    env = clean_env(
        SECRET_KEY=production_secret_key(),
        ALLOWED_HOSTS="clinic.example.org",
        FIELD_ENCRYPTION_KEYS=fernet_key(),
    )

    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (1 silenced).\n"


def test_deploy_check_warns_without_note_encryption_keys() -> None:
    env = clean_env(SECRET_KEY=production_secret_key(), ALLOWED_HOSTS="clinic.example.org")

    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 1
    assert result.stderr.count("(hrp.W001)") == 1


def test_deploy_check_refuses_an_invalid_encryption_key() -> None:
    env = clean_env(
        SECRET_KEY=production_secret_key(),
        ALLOWED_HOSTS="clinic.example.org",
        FIELD_ENCRYPTION_KEYS="not-a-fernet-key",
    )

    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 1
    assert result.stderr.count("(hrp.E001)") == 1


def test_deploy_check_fails_with_debug_on() -> None:
    # Guards the check above: it really would catch an unsafe setting.
    env = clean_env(
        SECRET_KEY=production_secret_key(),
        ALLOWED_HOSTS="clinic.example.org",
        FIELD_ENCRYPTION_KEYS=fernet_key(),
        DEBUG="1",
    )

    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 1
    assert result.stderr.count("(security.W018)") == 1
