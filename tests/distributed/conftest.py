"""Fixtures of the distributed crawl's tests: Debian's redis-server on 127.0.0.1 on a free port
(AOF on, no RDB snapshots, its files in the test's tmp dir), and the crawl's processes
(`Cluster`: the writer, workers, enqueue) started as the CLI, in subprocesses."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.helpers import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
TIMEOUT = 120  # seconds any one process of a test may take


class RedisServer:
    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "yes", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def bbn(*args: str) -> list[str]:
    return [sys.executable, "-m", "bbn_scraper", *args]


class Cluster:
    """The processes of one distributed crawl of `base_url` into `db`."""

    def __init__(self, server: RedisServer, db: Path, logs: Path):
        self.server, self.db, self.logs = server, db, logs
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}-{len(self.processes)}.log", "w")
        process = subprocess.Popen(bbn(*args), stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log.name
        self.processes.append(process)
        return process

    def ingest(self) -> subprocess.Popen:
        return self.start("ingest", "ingest", "--redis", self.server.url, "--db", str(self.db), "--once")

    def worker(self, *settings: str) -> subprocess.Popen:
        extra = [arg for setting in settings for arg in ("-s", setting)]
        return self.start("worker", "worker", "--redis", self.server.url, "--local", "--wait", "30", *extra)

    def enqueue(self, *urls: str) -> None:
        subprocess.run(bbn("enqueue", "--redis", self.server.url, *urls), check=True, capture_output=True, timeout=60)

    def crawl(self, base_url: str, workers: int = 3, *settings: str) -> None:
        """Writer, start URL, workers; waits for all of them to end well."""
        writer = self.ingest()
        self.enqueue(base_url)
        crew = [self.worker(*settings) for _ in range(workers)]
        self.wait(writer, *crew)

    def wait(self, *processes: subprocess.Popen) -> None:
        for process in processes:
            code = process.wait(TIMEOUT)
            assert code == 0, f"{process.args} exited {code}:\n{Path(process.log_path).read_text()[-3000:]}"

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def cluster(redis_server, tmp_path):
    running = Cluster(redis_server, tmp_path / "news.db", tmp_path)
    yield running
    running.kill_all()
