"""Production settings plus the floor views and a query counter: for the benchmark only.

The counter (`bench.middleware.QueryCount`) adds an `X-Queries` header; it wraps every page and
every floor alike, so it costs both the same."""

from hrp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.QueryCount", *MIDDLEWARE]  # noqa: F405
