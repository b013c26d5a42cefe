"""gunicorn settings for the web container (Dockerfile) and the page benchmark (`python -m
bench`). Each value is chosen by measurement on the large generated clinic; README.md,
"Serving", gives the figures behind them. Every value can be overridden from the environment.

- gthread workers: a worker keeps serving with its other threads while one thread waits on a
  slow page, and the arbiter's worker timeout (which kills the whole worker with everything in
  flight) is no longer what cuts a slow page off: PostgreSQL's statement_timeout is.
- DATABASE_STATEMENT_TIMEOUT is set here, so it binds the web processes only (migrations, key
  rotation and Celery tasks read the same settings without it): a query of a page running
  longer is cancelled and that page alone answers 500, well before `timeout`.
"""

import multiprocessing
import os

cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * cores))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# The arbiter kills a worker silent for this long; with gthread that means a stuck worker, not
# a slow page (the statement timeout below ends those first).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak in a library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# The TLS proxy in front sets X-Forwarded-Proto (settings.SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Self-report links and calendar feeds carry their key in the address: the log writes "(secret)"
# in its place (hrp/access_log.py).
logger_class = "hrp.access_log.RedactingLogger"

os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "15000")  # milliseconds
