"""CLI speed: how long `frontline` takes to start, and `frontline kb search` to answer, with
and without a running server.

Figures (medians of --runs fresh processes, wall time in seconds):
- `import app.cli.main`, timed inside a fresh interpreter (interpreter start-up excluded);
- `frontline --help`, the whole process;
- `frontline kb search` answered by a running server (the first call, then the median of the
  rest), and searched locally once the server has stopped (loads the model and the index).

The server runs the demo tenant with its help center (or --articles of it) in a scratch data
folder; the questions are the demo's own password, refund and invoice questions. Compare with
an older checkout by pointing --root at it (the import and --help figures run its code).

    uv run python bench/cli_speed.py [--runs 5] [--articles 33] [--root PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess, demo_tenant_file  # noqa: E402

QUESTIONS = ("how do I reset my password", "can I get my money back for a broken plug",
             "where do I download an invoice")
IMPORT_PROBE = "import time; t = time.perf_counter(); import app.cli.main; print(time.perf_counter() - t)"


def import_seconds(root: Path) -> float:
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], cwd=root, capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONPATH": str(root)})
    return float(result.stdout.strip())


def wall_seconds(args: list[str], root: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "app.cli.main", *args], cwd=root, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(root), **env}, check=False)
    return time.perf_counter() - start, result


def search(question: str, env: dict[str, str], expect_server: bool) -> float:
    seconds, result = wall_seconds(["kb", "search", question, "--tenant", "demo", "--limit", "3"], ROOT, env)
    answered = "answered by the running server" in result.stderr
    if result.returncode != 0 or not result.stdout.strip() or answered != expect_server:
        raise SystemExit(f"kb search failed or took the wrong path: {result.returncode}\n{result.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--articles", type=int, default=33, help="help-center articles the server indexes")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose import and --help are timed")
    options = parser.parse_args()

    imports = [import_seconds(options.root) for _ in range(options.runs)]
    helps = [wall_seconds(["--help"], options.root, {})[0] for _ in range(options.runs)]
    print(f"import app.cli.main      median {statistics.median(imports):.3f} s  (min {min(imports):.3f})")
    print(f"frontline --help         median {statistics.median(helps):.3f} s  (min {min(helps):.3f})")

    with tempfile.TemporaryDirectory(prefix="frontline-cli-speed-") as scratch:
        folder = Path(scratch)
        slugs = tuple(sorted(p.stem for p in (ROOT / "demo" / "helpcenter").glob("*.md")))[:options.articles]
        env = {"FRONTLINE_DATA_DIR": str(folder / "data"), "FRONTLINE_TENANTS": str(demo_tenant_file(folder, slugs))}
        server = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                               env={"FRONTLINE_TENANTS": env["FRONTLINE_TENANTS"]}).start(timeout=600)
        try:
            first = search(QUESTIONS[0], env, expect_server=True)
            served = [search(QUESTIONS[i % len(QUESTIONS)], env, expect_server=True) for i in range(options.runs)]
        finally:
            server.stop()
        local = [search(QUESTIONS[i % len(QUESTIONS)], env, expect_server=False) for i in range(options.runs)]
    print(f"kb search, server up     first {first:.3f} s, then median {statistics.median(served):.3f} s  "
          f"(max {max(served):.3f})  [{len(slugs)} articles]")
    print(f"kb search, no server     median {statistics.median(local):.3f} s  (min {min(local):.3f})")


if __name__ == "__main__":
    main()
