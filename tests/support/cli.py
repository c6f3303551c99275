"""Run a `frontline` command in-process, as the shell would, and read what it printed."""

from __future__ import annotations

import pytest

from app.cli.main import main


def frontline(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `frontline ARGS`; output printed earlier is discarded."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
