"""A real HAProxy in front of Frontline replicas, sticky by cookie as socket.io needs.

Chainlit keeps each chat session in the memory of the replica that opened it, so a browser
must keep talking to one replica: HAProxy inserts a `FRONTLINE_REPLICA` cookie naming it.
When that replica dies, `option redispatch` sends the browser's reconnect to a live one.
Tests pin a browser to a replica by its user agent (`pin_agent(name)`), as if the balancer
had chosen it; a pinned browser whose replica is down is balanced like any other.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.server import free_port, stop_process, wait_healthy

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
COOKIE = "FRONTLINE_REPLICA"


def haproxy_or_skip() -> str:
    if not Path(HAPROXY).exists():
        pytest.skip("HAProxy is not installed (Debian package haproxy; .ci/run installs it)")
    return HAPROXY


def pin_agent(replica: str) -> str:
    """A user agent that the test proxy sends to `replica` while it is up."""
    return f"Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome frontline-pin-{replica}"


def _config(port: int, replicas: dict[str, int]) -> str:
    servers = "\n".join(f"    server {name} 127.0.0.1:{replica_port} check cookie {name}"
                        for name, replica_port in replicas.items())
    # use-server is ignored for a server marked down, so a pinned browser then fails over
    pins = "\n".join(f"    use-server {name} if {{ req.hdr(user-agent) -m sub frontline-pin-{name} }}"
                     for name in replicas)
    return f"""global
    maxconn 4096
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    option redispatch
    retries 3

frontend frontline
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend replicas

backend replicas
    balance roundrobin
    cookie {COOKIE} insert indirect nocache httponly
    option httpchk GET /healthz
    default-server inter 300ms fall 2 rise 2
{pins}
{servers}
"""


@dataclass
class Proxy:
    """HAProxy on a free port; `replicas` maps a replica's name to its port."""

    workdir: Path
    replicas: dict[str, int]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Proxy:
        binary = haproxy_or_skip()
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "haproxy.cfg"
        config.write_text(_config(self.port, self.replicas))
        with (self.workdir / "haproxy.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen([binary, "-f", str(config), "-db"], stdout=log, stderr=log)
        try:
            healthy = wait_healthy(self.url, self.process, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"haproxy: {exc}:\n{(self.workdir / 'haproxy.log').read_text()[-2000:]}") from None
        if not healthy:
            self.stop()
            raise RuntimeError(f"haproxy did not answer in {timeout}s")
        return self

    def stop(self) -> None:
        stop_process(self.process, grace=10)
