"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a thread of its own): it keeps the
Message-ID of every message it accepts, can be stopped and started again on the same port,
can refuse recipients with a given reply, and can hang up after taking a message's data
without answering — the one failure after which the sender cannot know whether it arrived."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """The SMTP server and what it received. ``rcpt_reply`` (say ``"550 no such user"``)
    refuses every recipient; ``hang_up`` drops the connection once a message's data is in,
    before the 250 that would tell the sender it was accepted; ``delay`` seconds pass before
    each message is taken."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[str] = []
        self.rcpt_reply: str | None = None
        self.hang_up = False
        self.delay = 0.0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def counts(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        with self._lock:
            return Counter(self.received)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=default)
        with self._lock:
            self.received.append(str(message["Message-ID"]))
        if self.hang_up:
            server.transport.abort()  # the data is here; the sender never hears so
        return "250 OK"
