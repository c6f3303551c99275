"""A real redis-server on a free 127.0.0.1 port, in a temporary folder, for the replica tests.

Nothing is persisted (`--save '' --appendonly no`). Without the binary the tests that need
it are skipped, saying so; they are never passed silently.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.support.server import free_port, stop_process

REDIS_SERVER = "redis-server"


@dataclass
class RedisServer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> RedisServer:
        binary = shutil.which(REDIS_SERVER)
        assert binary is not None
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{(self.folder / 'redis.log').read_text()}")
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer in {timeout}s")

    def stop(self) -> None:
        stop_process(self.process, grace=10)
        self.process = None


def running_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh, empty Redis, stopped afterwards; the test is skipped when redis-server is missing.
    Test modules make it a fixture: `redis_server = pytest.fixture(running_redis)`."""
    if shutil.which(REDIS_SERVER) is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); the replica tests need a "
                    "real Redis")
    server = RedisServer(tmp_path_factory.mktemp("redis"), free_port()).start()
    yield server
    server.stop()
