"""`frontline kb search`: asked of the running server when there is one, else searched here.

A server that is up already holds the models and the index; asking it takes milliseconds,
where loading them takes seconds (and the embedded index cannot be opened at all while a
server holds it). So the command looks for a live server record in its data folder
(app/config/server_record.py), asks that server (POST /api/kb/search) with the record's key,
and searches on its own (app/cli/kb_search.py) only when no server answers. Both run the same
search and print the same rows; a note on stderr says when the server answered.

Bad input is refused the same way on both paths, before anything is loaded: a message on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
from typing import Any
from urllib.parse import urlsplit

from app.config.server_record import ServerRecord, live_record
from app.config.settings import Settings
from knowledge.search_request import query_problem, unknown_tenant

SERVER_TIMEOUT = 10.0  # seconds: a refused connection fails at once; this bounds a server that hangs
BAD_INPUT = 2
SERVER_NOTE = "(answered by the running server)"


class Refused(Exception):
    """The server understood the question and refused it (bad input): its message says why."""


async def ask(settings: Settings, args: argparse.Namespace) -> int:
    problem = query_problem(args.question, args.limit, args.mode, args.language, settings.max_message_chars)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return BAD_INPUT
    record = live_record(settings)
    rows = None
    if record is not None:
        try:
            rows = ask_server(record, args)
        except Refused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return BAD_INPUT
    if rows is not None:
        print(SERVER_NOTE, file=sys.stderr)
    else:
        rows = await _search_here(settings, args)
        if rows is None:
            print(f"error: {unknown_tenant(args.tenant)}", file=sys.stderr)
            return BAD_INPUT
    print_rows(rows, as_json=args.json)
    return 0


def ask_server(record: ServerRecord, args: argparse.Namespace) -> list[dict[str, Any]] | None:
    """The server's rows; None when it does not answer (gone, busy, another key); Refused for
    a question it will not search."""
    address = urlsplit(record.url)
    body = json.dumps({"tenant": args.tenant, "question": args.question, "limit": args.limit,
                       "mode": args.mode, "language": args.language}, ensure_ascii=False).encode()
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port or 80,
                                            timeout=SERVER_TIMEOUT)
    try:
        connection.request("POST", "/api/kb/search", body, {
            "Authorization": f"Bearer {record.token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        status, payload = response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        print(f"(the running server at {record.url} did not answer: {exc}; searching here)", file=sys.stderr)
        return None
    finally:
        connection.close()
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if status in (400, 404) and isinstance(answer, dict) and isinstance(answer.get("message"), str):
        raise Refused(answer["message"])
    if status == 200 and isinstance(answer, dict) and isinstance(answer.get("hits"), list):
        return answer["hits"]
    print(f"(the running server at {record.url} answered {status}; searching here)", file=sys.stderr)
    return None


async def _search_here(settings: Settings, args: argparse.Namespace) -> list[dict[str, Any]] | None:
    """The rows from the index on disk; None when the tenant is unknown."""
    from app.cli import kb_search
    from app.config.tenants import TenantRegistry

    tenant = TenantRegistry.from_files(settings.tenants).get(args.tenant)
    if tenant is None:
        return None
    return await kb_search.search(settings, tenant.id, args)


def print_rows(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for rank, row in enumerate(rows, start=1):
        heading = f" — {row['heading']}" if row["heading"] else ""
        print(f"{rank}. {row['title']}{heading}  (score {row['score']}, similarity "
              f"{row['similarity']})\n   {row['source']}\n   {str(row['text'])[:200]}")
