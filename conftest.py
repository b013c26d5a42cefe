"""Test-run environment, set before Django reads its settings.

Tests use the same settings module as production; only what a test run cannot have (a TLS
front, collected static files) is switched off here. DATABASE_URL and REDIS_URL pass through,
so `make test` runs on PostgreSQL and Redis when they are set (CI always sets them).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "k" * 40)
os.environ.setdefault("DEBUG", "0")
os.environ["STATIC_MANIFEST"] = "0"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SECURE_COOKIES"] = "0"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DEMO_MODE", "0")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Under pytest-xdist (`make test`) each test process has its own test database (pytest-django
# names it test_<name>_gw<N>) but shares REDIS_URL: its own cache key prefix keeps one process's
# clinic settings from reaching another's tests. Real Celery workers started by a test inherit
# the environment, so they read the same keys. Broker queues are per test already.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["CACHE_KEY_PREFIX"] = f"hrp-test-{worker}"
