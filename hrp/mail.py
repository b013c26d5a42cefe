"""The development console mailer: prints each message as a person would read it.

Django's console backend prints the MIME encoding of a message, in which quoted-printable
splits long lines with "=" and encodes "=" as "=3D": a set-password link copied from the
terminal is then broken ("This link has already been used or has expired"). This one prints
the headers that matter and the text body as written, so links can be copied whole.
"""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    def write_message(self, message: Any) -> None:
        self.stream.write(
            f"From: {message.from_email}\nTo: {', '.join(message.to)}\n"
            f"Subject: {message.subject}\n\n{message.body}\n"
        )
        self.stream.write("-" * 79 + "\n")
