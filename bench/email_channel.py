"""What the email channel costs and whether a burst loses or doubles anything.

    .venv/bin/python bench/email_channel.py [--latency 50] [--burst 1000] [--automatic 100]
                                            [--duplicates 20] [--connections 8] [--json]

In-process services (the real engine, store and help center of the demo tenant, grounded
mode) with the email channel on: an SMTP listener on a free local port, replies sent to an
aiosmtpd sink on another (the outside world's mail). Every mail goes over SMTP, as a mail
server would deliver it.

Latency: --latency mails, one at a time, each a different sender asking one of the demo's
help-center questions (bench/data/demo_questions.jsonl, rotating); per mail, ms from the SMTP
send to (a) its reply stored (the outbound row's own timestamp) and (b) the reply in the sink.
Three warm-up mails are not counted.

Burst: --burst person mails from as many senders, plus --automatic auto-replies and bounces
(Auto-Submitted, Precedence bulk, X-Autoreply, List-Id, MAILER-DAEMON, delivery reports;
mixed in at random) and --duplicates person mails delivered a second time, all sent at once
over --connections parallel SMTP connections. Measured: the time until every mail is settled
and every reply is in the sink, and the checks: every person mail stored once and answered
exactly once, no automatic mail answered, no reply lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosmtplib

from app.config.settings import Settings
from app.services import build_services
from tests.support.mail import MailSink
from tests.support.server import LIMITS_OFF, demo_tenant_file, free_port

SUPPORT = "support@brightwave.example"
WARM_UP = 3
QUESTIONS = [json.loads(line)["question"] for line in
             (Path(__file__).parent / "data" / "demo_questions.jsonl").read_text().splitlines() if line.strip()]
AUTOMATIC = [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"X-Autoreply": "yes"},
             {"List-Id": "<news.example.org>"}, {"From": "MAILER-DAEMON@mx.example.org"}, "report"]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1), "max": round(ordered[-1], 1)}


def person_mail(number: int, tag: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <c{number}.{tag}@example.org>"
    message["To"], message["Subject"] = SUPPORT, f"Question {number}"
    message["Message-ID"] = f"<{tag}-{number}@example.org>"
    message.set_content(f"Hello,\n\n{QUESTIONS[number % len(QUESTIONS)]}\n\nThanks\n-- \nCustomer {number}")
    return bytes(message)


def automatic_mail(number: int, kind: dict[str, str] | str) -> bytes:
    message = EmailMessage()
    message["From"] = f"auto{number}@example.org"
    message["To"], message["Subject"] = SUPPORT, "Automatic reply: out of office"
    message["Message-ID"] = f"<auto-{number}@example.org>"
    if isinstance(kind, dict):
        for name, value in kind.items():
            del message[name]
            message[name] = value
        message.set_content("I am out of the office until Monday. Where is my order?")
    else:  # a delivery-status report (a bounce)
        message.set_content("Delivery to the following recipient failed.")
        message.add_attachment("Reporting-MTA: dns; mx.example.org\n\nAction: failed\n", subtype="delivery-status")
        message.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"; '
                               f'boundary="{message.get_boundary()}"')
    return bytes(message)


async def deliver(port: int, mails: list[bytes]) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=120) as client:
        for raw in mails:
            await client.sendmail("bench@example.org", [SUPPORT], raw)


async def latency(services: Any, port: int, sink: MailSink, count: int) -> dict[str, Any]:
    stored, mailed = [], []
    for number in range(WARM_UP + count):
        raw = person_mail(number, "lat")
        before = len(sink.mails)
        wall, started = time.time(), time.perf_counter()
        await deliver(port, [raw])
        await sink.wait_for(before + 1, timeout=60)
        to_sink = (time.perf_counter() - started) * 1000
        row = await services.email.store.inbound("demo", f"<lat-{number}@example.org>")
        reply = await services.db.fetch_one("SELECT created_at FROM email_outbound WHERE conversation_id = ?",
                                            (row.conversation_id,))
        at = datetime.fromisoformat(reply["created_at"].replace("Z", "+00:00")).timestamp()
        if number >= WARM_UP:
            stored.append(max(0.0, (at - wall) * 1000))
            mailed.append(to_sink)
    return {"to_stored_reply_ms": summary(stored), "to_mail_in_sink_ms": summary(mailed)}


async def burst(services: Any, port: int, sink: MailSink, people: int, automatic: int, duplicates: int,
                connections: int) -> dict[str, Any]:
    rng = random.Random(17)
    person = [person_mail(n, "burst") for n in range(people)]
    mails = person + [automatic_mail(n, AUTOMATIC[n % len(AUTOMATIC)]) for n in range(automatic)]
    mails += rng.sample(person, min(duplicates, people))
    rng.shuffle(mails)
    before = len(sink.mails)
    started = time.perf_counter()
    await asyncio.gather(*(deliver(port, mails[i::connections]) for i in range(connections)))
    accepted = time.perf_counter() - started
    await services.email.drain()
    await sink.wait_for(before + people, timeout=600)
    answered = time.perf_counter() - started
    await sink.settle(1.0)  # then nothing more may arrive (a second answer would, within the sweep)

    replies: dict[str, int] = {}
    for received in sink.mails[before:]:
        key = str(received.message["In-Reply-To"])
        replies[key] = replies.get(key, 0) + 1
    wanted = {f"<burst-{n}@example.org>" for n in range(people)}
    counts = await services.email.store.counts("demo")
    return {
        "mails_sent": len(mails), "person_mails": people, "automatic_mails": automatic, "duplicates_sent": duplicates,
        "seconds_to_accept_all": round(accepted, 2), "seconds_to_answer_all": round(answered, 2),
        "mails_per_second_answered": round(people / answered, 1),
        "stored_by_status": counts,
        "lost": len(wanted - replies.keys()),
        "answered_twice": sum(1 for key, n in replies.items() if n > 1),
        "automatic_answered": sum(1 for key in replies if key.startswith("<auto-")),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.update(LIMITS_OFF)
    logging.basicConfig(level=logging.ERROR)
    sink = MailSink().start()
    port = free_port()
    try:
        with tempfile.TemporaryDirectory(prefix="frontline-bench-email-") as folder:
            tenant = demo_tenant_file(Path(folder), email={
                "enabled": True, "address": SUPPORT, "listen": {"port": port},
                "outgoing": {"port": sink.port, "retry_seconds": 5}, "per_sender_per_hour": 1000})
            settings = Settings(data_dir=Path(folder) / "data", tenants=[tenant])
            async with build_services(settings) as services:
                figures = {"latency": await latency(services, port, sink, args.latency),
                           "burst": await burst(services, port, sink, args.burst, args.automatic, args.duplicates,
                                                args.connections)}
    finally:
        sink.stop()
    figures["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--automatic", type=int, default=100)
    parser.add_argument("--duplicates", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    result = asyncio.run(main(options))
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        lat, b = result["latency"], result["burst"]
        print(f"inbound mail -> stored reply  p50 {lat['to_stored_reply_ms']['p50']} ms"
              f"  p95 {lat['to_stored_reply_ms']['p95']} ms  (n={lat['to_stored_reply_ms']['n']})")
        print(f"inbound mail -> mail in sink  p50 {lat['to_mail_in_sink_ms']['p50']} ms"
              f"  p95 {lat['to_mail_in_sink_ms']['p95']} ms")
        print(f"burst: {b['mails_sent']} mails ({b['person_mails']} from people, {b['automatic_mails']} automatic,"
              f" {b['duplicates_sent']} delivered twice) accepted in {b['seconds_to_accept_all']} s,"
              f" all answered in {b['seconds_to_answer_all']} s ({b['mails_per_second_answered']} mails/s)")
        print(f"  lost {b['lost']}, answered twice {b['answered_twice']}, automatic answered"
              f" {b['automatic_answered']}; stored by status {b['stored_by_status']}")
    checks = result["burst"]
    burst_ok = not (checks["lost"] or checks["answered_twice"] or checks["automatic_answered"])
    sys.exit(0 if burst_ok else 1)
