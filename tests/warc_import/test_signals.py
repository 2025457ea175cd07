"""Ctrl-C and SIGTERM during an import (bbn_scraper.crawler.warc_import._run): the first stops
the reading once what runs now is done, and a second stops at once, even in the middle of a
page parsed in the import's own process (PARSE_PROCESSES=0), which the event loop's signal
handlers only saw once the parse was over."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

# An import whose feed parses one page for SECONDS in the loop's own thread, as --workers 0 does.
IMPORT = """
import asyncio, sys, time
from bbn_scraper.crawler.warc_import import _run

class Importer:
    stopped = None
    def stop(self, reason): self.stopped = reason
    async def drain(self): pass
    async def close(self): pass

async def feed(importer):
    print("parsing", flush=True)
    end = time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        pass
    await asyncio.sleep(0)
    print("stopped:", importer.stopped, flush=True)

asyncio.run(_run(Importer(), feed))
"""


def interrupted(seconds: float, signals: int) -> tuple[float, subprocess.CompletedProcess]:
    """Seconds from the first signal to the end of the import, and what it printed."""
    process = subprocess.Popen([sys.executable, "-c", IMPORT, str(seconds)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "parsing"
    time.sleep(0.3)
    started = time.monotonic()
    for _ in range(signals):
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
    out, err = process.communicate(timeout=60)
    return time.monotonic() - started, subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_one_signal_stops_the_import_once_the_page_is_parsed():
    seconds, result = interrupted(2, 1)
    assert result.stdout.strip() == "stopped: shutdown" and result.returncode == 0, result.stderr
    assert seconds > 1


def test_a_second_signal_stops_at_once_in_the_middle_of_a_page():
    seconds, result = interrupted(30, 2)
    assert seconds < 10 and "stopped:" not in result.stdout
    assert result.stderr.strip().endswith("KeyboardInterrupt")
