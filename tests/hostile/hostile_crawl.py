"""Crawls of hostile sites, each in its own process with its exit status, output, wall time
and peak memory: the child's ru_maxrss, from wait4 (which counts the memory of the test process
it was forked from), and its own VmHWM, read from /proc while it runs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNHANDLED = ("Traceback", "Unhandled", "Spider error", "ERROR")
# One parsing process (the crawl's own) and no politeness delays: sites on loopback.
BASE_SETTINGS = ("-s", "PARSE_PROCESSES=0")


@dataclass
class Crawl:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    peak_mb: float = 0.0  # VmHWM, the child's own high-water mark, last read before it exited


def crawl(db, urls: list[str], *settings: str, audit_log: Path | None = None, env: dict | None = None,
          timeout: float = 120, interrupt_when: Callable[[], bool] | None = None) -> Crawl:
    """`bbn-archive crawl URLS --db DB --local` in a child process, killed after `timeout`.
    With `audit_log`, under `tests.hostile.audited` (every DNS lookup and connect logged);
    with `interrupt_when`, sent SIGINT once that returns true, to its process group (its parse
    workers too), as a terminal's Ctrl-C sends it."""
    runner = ["-m", "tests.hostile.audited", str(audit_log)] if audit_log else ["-m", "bbn_scraper"]
    command = [sys.executable, *runner, "crawl", *urls, "--db", str(db), "--local", *BASE_SETTINGS, *settings]
    return run(command, timeout, env, interrupt_when)


def run(command: list[str], timeout: float = 120, env: dict | None = None,
        interrupt_when: Callable[[], bool] | None = None) -> Crawl:
    """`command` in a child process of its own group, measured as `crawl` says."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, text=True,
                                   env={**os.environ, **(env or {})}, process_group=0)
        status, usage, peak = _wait(process, timeout, interrupt_when)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Crawl(os.waitstatus_to_exitcode(status), out.read(), err.read(), seconds, usage.ru_maxrss / 1024, peak)


def vm_hwm_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0) / 1024
    except OSError:
        return 0.0


def _wait(process: subprocess.Popen, timeout: float, interrupt_when: Callable[[], bool] | None):
    deadline, peak = time.monotonic() + timeout, 0.0
    while True:
        peak = max(peak, vm_hwm_mb(process.pid))
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if not pid and interrupt_when is not None and interrupt_when():
            os.killpg(process.pid, signal.SIGINT)
            interrupt_when = None
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
            return status, usage, peak
        if time.monotonic() > deadline:
            process.send_signal(signal.SIGKILL)
            os.wait4(process.pid, 0)
            process.returncode = -9
            raise AssertionError(f"{' '.join(process.args[1:4])} took more than {timeout} s: killed")
        time.sleep(0.02)


def assert_clean(result: Crawl) -> None:
    """Exit status 0, the summary printed, nothing unhandled in the log."""
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "finished in" in result.stdout, result.stdout
    for marker in UNHANDLED:
        assert marker not in result.stderr, result.stderr
