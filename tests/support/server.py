"""Run the real Frontline server in a subprocess on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Tests and benchmarks open hundreds of sessions and conversations from one address and as a
# few customers: the abuse limits (guardrails/abuse_limits.py) are off unless a caller's `env` sets them.
LIMITS_OFF = {f"FRONTLINE_LIMITS__{name}": "0" for name in (
    "WIDGET_SESSIONS_PER_IP_PER_MINUTE", "WIDGET_SESSIONS_PER_TENANT_PER_MINUTE",
    "CONVERSATIONS_PER_IDENTITY_PER_HOUR", "MESSAGES_PER_IDENTITY_PER_MINUTE")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether `url`/healthz answers 200 within `timeout` s; RuntimeError if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early with {process.returncode}; see its log")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def stop_process(process: subprocess.Popen[bytes] | None, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class ServerProcess:
    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> ServerProcess:
        env = {**os.environ, **LIMITS_OFF, "FRONTLINE_DATA_DIR": str(self.data_dir),
               "FRONTLINE_PORT": str(self.port), "FRONTLINE_HOST": "127.0.0.1", **self.env}
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli.main", "serve"], cwd=PROJECT_ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT)
        try:
            healthy = wait_healthy(self.url, self.process, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"server: {exc}:\n{self.log_path.read_text()[-4000:]}") from None
        if not healthy:
            self.stop()
            raise RuntimeError(f"server not healthy in {timeout}s:\n{self.log_path.read_text()[-4000:]}")
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def demo_tenant_file(folder: Path, articles: tuple[str, ...] | None = None, **changes: object) -> Path:
    """The demo tenant written into `folder` with absolute paths and `changes` applied. With
    `articles` (slugs), its help center is only those: a server that needs a few articles then
    starts in seconds instead of embedding the whole help center."""
    demo = PROJECT_ROOT / "demo"
    tenant = yaml.safe_load((demo / "tenant.yaml").read_text())
    tenant |= {"intents": str(demo / "intents.yaml"), "actions": str(demo / "actions.yaml"),
               "handoff": str(demo / "handoff.yaml")}
    tenant["knowledge"]["paths"] = ([str(demo / "helpcenter" / f"{slug}.md") for slug in articles]
                                    if articles is not None else [str(demo / "helpcenter")])
    tenant["connector"]["options"]["seed"] = str(demo / "crm.json")
    tenant |= changes
    path = folder / "tenant.yaml"
    path.write_text(yaml.safe_dump(tenant))
    return path
