"""Run a `frontline` command in-process, as the shell would, and read what it printed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.main import main


def frontline(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `frontline ARGS`; output printed earlier is discarded."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder for the commands of one test (FRONTLINE_DATA_DIR)."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(folder))
    level = logging.getLogger().level
    yield folder
    logging.getLogger().setLevel(level)  # main() quiets the root logger for CLI commands
