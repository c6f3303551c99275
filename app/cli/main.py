"""The `frontline` command: run the server and operate it.

    frontline serve            run the chat server (the demo tenant by default)
    frontline setup            provision the embedding model (offline, hash-verified)
    frontline kb ...           ingest, search, list and delete knowledge (see app/cli/kb.py)
    frontline triage TEXT      show how a message is understood and decided (app/cli/triage.py)
    frontline trace ID         show the decision traces stored with a conversation's replies
    frontline audit verify     check the audit log's hash chain (app/cli/audit.py)
    frontline token issue EMAIL   a Queue API token for an agent (app/cli/token.py)
    frontline versions TENANT  the file versions that decided the tenant's replies (app/cli/versions.py)
    frontline eval TENANT      run the tenant's test conversations; exit 1 if one fails (app/cli/eval.py)
    frontline report TENANT    the support lead's figures for a tenant (app/cli/report.py)
    frontline replay TENANT --since DATE --with K=PATH   what a candidate config would decide differently

Each command's module is imported only when that command runs (app/cli/commands.py), so a
quick command such as `frontline kb search` starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from pathlib import Path

from app.cli.commands import add_parsers, chosen_command
from app.cli.deferred_redaction import install_deferred_redaction
from app.config.data_folder import auth_secret, check_writable
from app.config.settings import PROJECT_ROOT, Settings, load_settings
from app.core.errors import FrontlineError


def serve(settings: Settings) -> int:
    from app.core.redis_link import check_reachable
    from app.services import check_configuration
    from app.store.backends import probe_database
    from knowledge.model_files import BUNDLES, ModelFilesError, verified_folder

    check_configuration(settings)  # a broken tenant or language file stops here, clearly
    if settings.database_url is not None:  # so does a PostgreSQL server that is unreachable or refuses us
        asyncio.run(probe_database(settings))
    if settings.redis_url is not None:  # replicas share through it: unreachable, nothing would add up
        check_reachable(settings.redis_url.get_secret_value())
    try:
        for model in (settings.embedding_model, settings.multilingual_model):
            if model in BUNDLES:
                verified_folder(settings.model_dir, model)
    except ModelFilesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    os.environ["CHAINLIT_AUTH_SECRET"] = auth_secret(settings)
    # uvicorn believes X-Forwarded-For/-Proto from these peers (its default is 127.0.0.1): the
    # same proxies as Frontline's own check (app/surfaces/http_security.py), and none unless configured.
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(settings.trusted_proxies)
    os.environ["CHAINLIT_HOST"] = settings.host
    os.environ["CHAINLIT_PORT"] = str(settings.port)
    os.chdir(PROJECT_ROOT)  # Chainlit reads .chainlit/ and chainlit.md from the working folder
    from chainlit.cli import run_chainlit

    run_chainlit(str(PROJECT_ROOT / "app" / "surfaces" / "chainlit_app.py"))
    return 0


def setup(settings: Settings) -> int:
    from knowledge.model_files import BUNDLES, ModelFilesError, install

    try:
        for model in BUNDLES:
            print(f"embedding model ready: {model} in {install(settings.model_dir, model)}")
    except ModelFilesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="frontline", description="Frontline support assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the chat server")
    run.add_argument("--host", help="address to listen on (FRONTLINE_HOST)")
    run.add_argument("--port", type=int, help="port to listen on (FRONTLINE_PORT)")
    run.add_argument("--data-dir", type=Path, help="where state is kept (FRONTLINE_DATA_DIR)")
    commands.add_parser("setup", help="provision the embedding model")
    command = add_parsers(commands, chosen_command(argv))  # only the command that runs is imported
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # no email, phone, card, IBAN, national id or street address in the logs
    if args.command == "serve":
        from guardrails.pii import install_log_redaction

        install_log_redaction()
    else:
        install_deferred_redaction()  # a command that logs nothing never loads the patterns
    for name, value in (("HOST", args.__dict__.get("host")), ("PORT", args.__dict__.get("port")),
                        ("DATA_DIR", args.__dict__.get("data_dir"))):
        if value is not None:
            os.environ[f"FRONTLINE_{name}"] = str(value)
    try:
        settings = load_settings()
        if settings.log_format == "json":
            from app.cli.json_logs import use_json_logs

            use_json_logs(settings.replica)
        if args.command != "setup":  # every other command keeps state in the data folder
            check_writable(settings.data_dir)
        if args.command == "serve":
            return serve(settings)
        if command is not None:
            logging.getLogger().setLevel(logging.WARNING)
            return int(asyncio.run(command.run(settings, args)))
        return setup(settings)
    except FrontlineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:  # a disk or file problem the checks above did not foresee
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
