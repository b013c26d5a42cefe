"""Settings for tests.core.sqlite_race: the app's own (no DATABASE_URL: the embedded SQLite
default, with its OPTIONS untouched), with tables made straight from the models and a fast
password hasher, so the subprocess starts in seconds."""

from hrp.settings import *  # noqa: F403


class _NoMigrations(dict):
    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


MIGRATION_MODULES = _NoMigrations()
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
