"""The operator commands `frontline` offers, and the module that implements each.

A shell command should pay only for what it runs: `frontline --help` lists these names
without importing a single command module, and `frontline NAME ...` imports NAME's module
alone (a module may register several names, as triage does with trace). Each module has
`add_parser(commands)` and `async run(settings, args)`; the help here is what `--help`
lists, and tests/test_cli_commands.py checks it matches what the module registers.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Command:
    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "kb": Command("app.cli.kb", "manage the knowledge base"),
    "triage": Command("app.cli.triage", "show how a message is understood and what the policy decides"),
    "trace": Command("app.cli.triage", "show the stored decision traces of a conversation"),
    "audit": Command("app.cli.audit", "verify or read the audit log"),
    "token": Command("app.cli.token", "issue or revoke Queue API tokens for an agent"),
    "versions": Command("app.cli.versions", "list the file versions that decided a tenant's replies, and when"),
    "eval": Command("app.cli.eval", "run a tenant's test conversations and gate a deploy on them"),
    "report": Command("app.cli.report", "the support lead's figures for one tenant"),
    "replay": Command("app.cli.replay",
                      "re-decide stored customer turns with a candidate config and show what changes"),
}


def chosen_command(argv: list[str]) -> str | None:
    """The command name in `argv` (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def add_parsers(commands: argparse._SubParsersAction, chosen: str | None) -> ModuleType | None:  # type: ignore[type-arg]
    """Register every command, in order: the chosen one with its full parser (its module is
    imported and returned), the others by name and help only."""
    loaded = None
    if chosen in COMMANDS:
        loaded = importlib.import_module(COMMANDS[chosen].module)
    registered = False
    for name, command in COMMANDS.items():
        if loaded is not None and command.module == loaded.__name__:
            if not registered:
                loaded.add_parser(commands)
                registered = True
            continue
        commands.add_parser(name, help=command.help)
    return loaded
