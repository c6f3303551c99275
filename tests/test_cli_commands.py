"""The `frontline` command starts light: help and parsing import no command module, a command
imports only its own, and log redaction loads with the first record it must redact."""

from __future__ import annotations

import argparse
import io
import logging
import subprocess
import sys

import pytest

from app.cli.commands import COMMANDS, add_parsers, chosen_command
from app.cli.deferred_redaction import install_deferred_redaction
from app.cli.main import main
from tests.support.server import PROJECT_ROOT

HEAVY = ("qdrant_client", "fastembed", "onnxruntime", "litellm", "chainlit", "fastapi", "httpx",
         "guardrails.pii", "app.config.tenants", "app.services", "knowledge.index", "knowledge.embedder",
         *sorted({command.module for command in COMMANDS.values()}))


def _loaded_after(code: str) -> set[str]:
    """The heavy modules a fresh interpreter has imported after running `code`."""
    probe = (f"import sys\n{code}\n"
             f"print('\\n'.join(m for m in sys.modules if m in {HEAVY!r} or m.startswith('qdrant_client')),"
             " file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    return set(result.stderr.split())


def test_importing_the_command_and_its_help_load_no_command_module():
    assert _loaded_after("import app.cli.main") == set()
    assert _loaded_after("from app.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
                         "    pass") == set()


def test_a_command_imports_its_own_module_only():
    loaded = _loaded_after("from app.cli.main import main\ntry:\n    main(['audit', '--help'])\nexcept SystemExit:\n"
                           "    pass")
    assert loaded == {"app.cli.audit"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_help_is_what_the_command_registers(name):
    """`frontline --help` lists COMMANDS' help without importing; the module must say the same."""
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    add_parsers(commands, name)
    listed = {action.dest: action.help for action in commands._choices_actions}
    assert listed.keys() == COMMANDS.keys()
    assert listed[name] == COMMANDS[name].help
    assert commands.choices[name].format_usage() != ""


def test_each_command_parses_its_own_arguments(capsys):
    with pytest.raises(SystemExit) as done:
        main(["trace", "--help"])  # registered by the triage module, with triage
    assert done.value.code == 0
    assert "CONVERSATION_ID" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["kb", "search", "a question"])  # --tenant is required
    assert done.value.code == 2
    assert "--tenant" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "expected"), [
    (["kb", "search", "q"], "kb"), (["--help"], None), (["-h", "report", "demo"], "report"), ([], None)])
def test_the_chosen_command_is_the_first_word_that_is_not_an_option(argv, expected):
    assert chosen_command(argv) == expected


def test_deferred_redaction_redacts_the_first_record_and_every_later_one():
    logger = logging.getLogger("tests.deferred")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        install_deferred_redaction(logger)
        install_deferred_redaction(logger)  # once is enough: a second call adds nothing
        assert len(handler.filters) == 1 and len(logger.filters) == 1
        logger.warning("write to %s", "maya.thompson@example.com")
        logging.getLogger("tests.deferred.child").warning("card 4111 1111 1111 1111.")  # reaches the handler only
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()
        logger.propagate = True
    assert out.getvalue().splitlines() == ["write to [EMAIL]", "card [CARD]."]
