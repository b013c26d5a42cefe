"""The development console mailer prints links whole, so they can be copied from the terminal."""

from __future__ import annotations

import io

from django.core.mail import EmailMessage

from hrp.mail import ReadableConsoleBackend

LINK = "http://127.0.0.1:8101/account/set-password/MQ/" + "c4x9-" * 20 + "?next=%2F"


def test_a_long_link_is_printed_whole_and_unencoded() -> None:
    stream = io.StringIO()
    message = EmailMessage(
        subject="Set your password",
        body=f"Choose a password at\n{LINK}\n",
        from_email="no-reply@clinic.test",
        to=["tess@clinic.test"],
    )

    ReadableConsoleBackend(stream=stream).send_messages([message])

    printed = stream.getvalue()
    assert LINK in printed.splitlines()
    assert "=3D" not in printed
    assert "Subject: Set your password" in printed
    assert "To: tess@clinic.test" in printed
