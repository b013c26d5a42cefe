"""A slow email backend for the fault tests' worker processes: each message takes
SLOW_MAIL_DELAY seconds (default 0.2), like a real mail server, and leaves two lines in the
file named by SLOW_MAIL_FILE: "sending <Message-ID> <pid>" before the wait and
"sent <Message-ID> <pid>" after it. A worker killed while a message is on its way leaves a
"sending" line without its "sent" line, which is how a test knows it killed mid-send."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


def _append(line: str) -> None:
    with open(os.environ["SLOW_MAIL_FILE"], "a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        delay = float(os.environ.get("SLOW_MAIL_DELAY", "0.2"))
        for message in email_messages:
            message_id = message.extra_headers["Message-ID"]
            _append(f"sending {message_id} {os.getpid()}")
            time.sleep(delay)
            _append(f"sent {message_id} {os.getpid()}")
        return len(email_messages)
