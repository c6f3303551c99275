"""Inbound IMAP: poll a company mailbox for unseen mail (aioimaplib).

A mail is marked \\Seen only after the desk stored it, so a crash or a lost connection leaves
it unseen and the next poll takes it again, which the store's Message-ID key makes harmless.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aioimaplib

from app.channels.email.desk import EmailDesk
from app.config.email_channel import ImapConfig
from app.config.tenants import Tenant

log = logging.getLogger(__name__)

_FETCHED = re.compile(rb"^\d+ FETCH .*\{(\d+)\}$")
BATCH = 50  # mails fetched per round trip at most; a poll keeps going until none are left


class ImapPoller:
    def __init__(self, desk: EmailDesk, tenant: Tenant) -> None:
        assert tenant.email is not None and tenant.email.imap is not None
        self.desk = desk
        self.tenant = tenant
        self.config: ImapConfig = tenant.email.imap

    async def _connect(self) -> aioimaplib.IMAP4:
        config = self.config
        client = (aioimaplib.IMAP4_SSL(config.host, config.port, timeout=30) if config.ssl
                  else aioimaplib.IMAP4(config.host, config.port, timeout=30))
        try:
            await client.wait_hello_from_server()
            answer = await client.login(config.user, config.password.get_secret_value())
            if answer.result != "OK":
                raise ConnectionError(f"IMAP sign-in as {config.user} refused: {_text(answer.lines)}")
            answer = await client.select(config.mailbox)
            if answer.result != "OK":
                raise ConnectionError(f"IMAP mailbox {config.mailbox!r} cannot be opened: {_text(answer.lines)}")
        except BaseException:
            await _drop(client)
            raise
        return client

    async def poll(self) -> int:
        """Take every unseen mail once; the number taken."""
        client = await self._connect()
        taken = 0
        try:
            while True:
                answer = await client.uid_search("UNSEEN")
                uids = [uid for line in answer.lines[:1] for uid in line.decode().split() if uid.isdigit()]
                if answer.result != "OK" or not uids:
                    return taken
                for uid in uids[:BATCH]:
                    raw = await self._fetch(client, uid)
                    if raw is None:
                        continue
                    await self.desk.submit(self.tenant.id, raw)  # stored when this returns
                    await client.uid("store", uid, "+FLAGS.SILENT (\\Seen)")
                    taken += 1
        finally:
            await _drop(client)

    async def _fetch(self, client: aioimaplib.IMAP4, uid: str) -> bytes | None:
        answer = await client.uid("fetch", uid, "(BODY.PEEK[])")
        if answer.result != "OK":
            log.warning("IMAP fetch of %s in %s failed: %s", uid, self.config.mailbox, _text(answer.lines))
            return None
        for index, line in enumerate(answer.lines):
            if _FETCHED.match(line) and index + 1 < len(answer.lines):
                return bytes(answer.lines[index + 1])
        return None

    async def run(self) -> None:
        while True:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the mailbox may be down for a while; mail waits there
                log.warning("IMAP poll of %s@%s for %s failed: %s", self.config.user, self.config.host,
                            self.tenant.id, exc)
            await asyncio.sleep(self.config.every_seconds)


async def _drop(client: aioimaplib.IMAP4) -> None:
    """Log out and close the socket, whatever state the session is in."""
    try:
        if client.get_state() in ("AUTH", "SELECTED"):
            await client.logout()
    except Exception:  # the connection is going away either way
        pass
    transport = getattr(getattr(client, "protocol", None), "transport", None)
    if transport is not None and not transport.is_closing():
        transport.close()


def _text(lines: list[bytes]) -> str:
    return " ".join(line.decode(errors="replace") for line in lines)[:300]
