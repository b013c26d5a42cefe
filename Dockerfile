# Production image: gunicorn serving Django, static files by whitenoise. The same image runs
# the Celery worker and beat (see docker-compose.yml).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Pango and fonts for WeasyPrint (PDF summaries and attendance reports); pg_dump and pg_restore
# for `manage.py backup` / `restore` (the distribution's, a major version at least the server's).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
       postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
# Collect and fingerprint static files at build time; the key is a throwaway for this step.
RUN DEBUG=1 STATIC_MANIFEST=1 SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home /app hrp \
    && chown -R hrp /app \
    && install -d -m 0700 -o hrp /backups
USER hrp

EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py (chosen by measurement, see README "Serving").
CMD ["gunicorn", "-c", "gunicorn.conf.py", "hrp.wsgi:application"]
