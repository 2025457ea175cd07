"""Helpers of the Datasette tests."""
from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode


class Client:
    """`datasette.client` driven from synchronous tests, on one event loop."""

    def __init__(self, ds, name: str):
        self.ds = ds
        self.name = name
        self.loop = asyncio.new_event_loop()

    def get(self, path: str, status: int = 200):
        response = self.loop.run_until_complete(self.ds.client.get(path))
        assert response.status_code == status, f"{path}: {response.status_code}\n{response.text[:2000]}"
        return response

    def json(self, path: str, status: int = 200):
        return self.get(path, status).json()

    def rows(self, path: str) -> list[dict]:
        """Every row of a table, view or canned query (path of its page, with or without
        .json), as objects."""
        base, _, query = path.partition("?")
        if not base.endswith(".json"):
            base += ".json"
        args = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("_size", "_shape")]
        return self.json(f"{base}?{urlencode(args + [('_shape', 'array'), ('_size', 'max')])}")

    def close(self) -> None:
        self.loop.close()


def utc_month(iso: str) -> str:
    """The UTC month of an ISO 8601 time, as the archive stores it."""
    value = datetime.fromisoformat(iso)
    if value.utcoffset() is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_archive(src, dst) -> None:
    """A consistent copy of a (WAL) archive, by SQLite's backup API."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer from {url} within {timeout} s")
        time.sleep(0.1)


@contextmanager
def served_archive(src_db, tmp_path, name: str = "news.db"):
    """`bbn-archive serve` in a subprocess on 127.0.0.1 and a free port, serving a copy of
    `src_db` named `name`; yields (base URL, path of the copy, a function returning what the
    server printed so far)."""
    db = tmp_path / name
    copy_archive(src_db, db)
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--db", str(db), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(f"{base}-/versions.json", proc)
        yield base, db, log.read_text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
