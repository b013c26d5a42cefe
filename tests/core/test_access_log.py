"""The web server's access log never holds the key of a self-report link, a shared plan or a
calendar feed."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from gunicorn.config import Config

from hrp.access_log import RedactingLogger, redact, secret_paths


def test_the_tokenised_addresses_are_derived_from_the_url_map() -> None:
    assert secret_paths().pattern == (
        r"(/(?:account/set\-password/[^/?\s]+/|feeds/|p/|r/))[^/?\s]+"
    )


def test_tokens_are_replaced_and_nothing_else() -> None:
    assert [
        redact("GET /r/Abc-123_x/ HTTP/1.1"),
        redact("GET /p/Plan-456_y/ HTTP/1.1"),
        redact("/feeds/Zz9.ics"),
        redact("https://clinic.example/r/tok/?lang=es"),
        redact("GET /clients/12/ HTTP/1.1"),
        redact("/reports/2026/"),
        redact("GET /account/set-password/MQ/cz8k-5f1e2a/ HTTP/1.1"),
        redact("GET /account/set-password/done/ HTTP/1.1"),
    ] == [
        "GET /r/(secret)/ HTTP/1.1",
        "GET /p/(secret)/ HTTP/1.1",
        "/feeds/(secret)",
        "https://clinic.example/r/(secret)/?lang=es",
        "GET /clients/12/ HTTP/1.1",
        "/reports/2026/",
        "GET /account/set-password/MQ/(secret)/ HTTP/1.1",
        "GET /account/set-password/done/ HTTP/1.1",
    ]


def test_the_logger_redacts_request_line_path_and_referer() -> None:
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/r/SeCrEt/",
        "PATH_INFO": "/r/SeCrEt/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://clinic.example/r/SeCrEt/",
    }
    request = SimpleNamespace(headers=[("REFERER", "https://clinic.example/r/SeCrEt/")])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=5))
    assert [atoms["r"], atoms["U"], atoms["f"], atoms["{referer}i"]] == [
        "GET /r/(secret)/ HTTP/1.1",
        "/r/(secret)/",
        "https://clinic.example/r/(secret)/",
        "https://clinic.example/r/(secret)/",
    ]
    assert "SeCrEt" not in repr(atoms)
