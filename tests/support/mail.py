"""Real mail servers for the email channel's tests: an aiosmtpd sink standing in for the
outside world's mail (it receives every reply Frontline sends) and Debian's dovecot as the
company's IMAP mailbox, started on free local ports in throwaway folders."""

from __future__ import annotations

import asyncio
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from app.core.waiting import wait_for_event
from tests.support.server import free_port, stop_process

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    message: EmailMessage


class _Collect:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        if self.sink.refuse:
            return "451 4.3.0 Try again later"
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        self.sink.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        self.sink.arrived()
        return "250 OK"


@dataclass
class MailSink:
    """The outside world's SMTP: every mail Frontline sends lands in `mails`."""

    port: int = field(default_factory=free_port)
    mails: list[Received] = field(default_factory=list)
    refuse: bool = False  # answer 451 to every mail (a relay that is down for a while)
    _controller: Controller | None = None
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)

    def arrived(self) -> None:
        """Wake the tests waiting for mail (the sink runs in its own thread)."""
        for loop, event in list(self._waiters):
            loop.call_soon_threadsafe(event.set)

    async def _until(self, done: Callable[[], bool], timeout: float) -> None:
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        self._waiters.append(waiter)
        try:
            deadline = time.monotonic() + timeout
            while not done() and time.monotonic() < deadline:
                event.clear()
                await wait_for_event(event, min(0.2, max(0.0, deadline - time.monotonic())))
        finally:
            self._waiters.remove(waiter)

    def start(self) -> MailSink:
        self._controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        await self._until(lambda: len(self.mails) >= count, timeout)
        return self.mails

    async def wait_for_to(self, address: str, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """The mails sent to `address` once there are `count` of them (fewer after `timeout`)."""
        await self._until(lambda: len(self.to(address)) >= count, timeout)
        return self.to(address)

    async def settle(self, quiet: float = 0.5) -> None:
        """Wait until no mail has arrived for `quiet` seconds (before asserting that none did)."""
        seen = -1
        while seen != len(self.mails):
            seen = len(self.mails)
            await asyncio.sleep(quiet)

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.mails if address in r.recipients]


_CONF = """base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class Dovecot:
    """A real IMAP server with one mailbox (`user` / `password`)."""

    user: str = "support@example.com"
    password: str = "mailbox-password"
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="frontline-dovecot-")))
    _process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Dovecot:
        assert DOVECOT is not None
        owner = pwd.getpwnam("dovecot")  # mail is stored as dovecot's own (unprivileged) user
        self.root.chmod(0o755)
        for name in ("mail", "home"):
            (self.root / name).mkdir()
            os.chown(self.root / name, owner.pw_uid, owner.pw_gid)
        (self.root / "users").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{owner.pw_uid}:{owner.pw_gid}::{self.root}/home::\n")
        (self.root / "dovecot.conf").write_text(_CONF.format(root=self.root, port=self.port))
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with self.client():
                    return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        raise RuntimeError(f"dovecot did not start; see {self.root}/dovecot.log")

    def client(self) -> _Session:
        return _Session(self)

    def deliver(self, raw: bytes) -> None:
        """A mail arrives in the company mailbox."""
        with self.client() as imap:
            status, _ = imap.append("INBOX", None, None, raw)
            assert status == "OK"

    def unseen(self) -> list[str]:
        with self.client() as imap:
            imap.select("INBOX")
            status, data = imap.uid("search", None, "UNSEEN")  # type: ignore[arg-type]
            return data[0].decode().split() if data and data[0] else []

    def stop(self) -> None:
        stop_process(self._process)
        shutil.rmtree(self.root, ignore_errors=True)


class _Session:
    def __init__(self, server: Dovecot) -> None:
        self.server = server

    def __enter__(self) -> imaplib.IMAP4:
        self.imap = imaplib.IMAP4("127.0.0.1", self.server.port, timeout=10)
        self.imap.login(self.server.user, self.server.password)
        return self.imap

    def __exit__(self, *exc: object) -> None:
        try:
            self.imap.logout()
        except Exception:
            pass
