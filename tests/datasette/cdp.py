"""Headless Chromium driven over the DevTools protocol (its own websocket; aiohttp's client),
for browser tests that must ask what a reader sees: where an element is on the first screen,
its text, the page's title; and a PNG screenshot. No driver, no browser download."""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import subprocess
import time
from pathlib import Path

import aiohttp

WIDTH, HEIGHT = 1280, 900  # the first screen

# Where the element `sel` is on screen, its text and its computed background: null if absent.
BOX_JS = """(sel => { const e = document.querySelector(sel); if (!e) return null;
  const r = e.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height,
          text: e.innerText, background: getComputedStyle(e).backgroundColor}; })(%s)"""


class Browser:
    """One Chromium with one tab: `open(url)`, then `box(selector)`, `eval(js)`, `screenshot(path)`."""

    def __init__(self, chromium: str, profile: Path, flags: list[str]):
        self.loop = asyncio.new_event_loop()
        profile.mkdir(parents=True, exist_ok=True)
        log = profile / "chromium.log"  # a file, not a pipe: Chromium never blocks on it
        with open(log, "w") as err:
            self.proc = subprocess.Popen(
                [chromium, *flags, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                 "--remote-debugging-address=127.0.0.1", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 60
        while not (found := re.search(r"DevTools listening on (ws://\S+)", log.read_text(errors="replace"))):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"chromium gave no DevTools address:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.width, self.height = WIDTH, HEIGHT
        self.loop.run_until_complete(self._connect(found.group(1)))

    async def _connect(self, browser_ws: str) -> None:
        self.http = aiohttp.ClientSession()
        port = re.search(r":(\d+)/", browser_ws).group(1)
        async with self.http.get(f"http://127.0.0.1:{port}/json/list") as response:
            page = next(t for t in await response.json() if t["type"] == "page")
        self.ws = await self.http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        await self._send("Page.enable")
        await self._send("Emulation.setDeviceMetricsOverride",
                         width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    async def _send(self, method: str, **params) -> dict:
        call = next(self.ids)
        await self.ws.send_json({"id": call, "method": method, "params": params})
        while True:
            message = json.loads((await self.ws.receive(timeout=60)).data)
            if message.get("id") == call:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    async def _open(self, url: str) -> None:
        self.events.clear()
        await self._send("Page.navigate", url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(json.loads((await self.ws.receive(timeout=60)).data))

    def resize(self, width: int, height: int = HEIGHT) -> None:
        """Make the window `width` x `height`: a phone's (mobile emulation) below 600 px."""
        self.width, self.height = width, height
        self.loop.run_until_complete(self._send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                                                deviceScaleFactor=1, mobile=width < 600))

    def scrolls_sideways(self) -> bool:
        """Whether the page is wider than the window (a horizontal scroll bar)."""
        return self.eval("document.documentElement.scrollWidth") > self.width

    def open(self, url: str) -> None:
        """Load `url` and wait for its load event."""
        self.loop.run_until_complete(self._open(url))

    def eval(self, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self.loop.run_until_complete(self._send("Runtime.evaluate", expression=expression, returnByValue=True))
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def box(self, selector: str) -> dict | None:
        """Where the first element matching `selector` is (viewport pixels), with its text."""
        return self.eval(BOX_JS % json.dumps(selector))

    def on_first_screen(self, selector: str) -> bool:
        """Whether the element is laid out and starts within the first screen, fully in width."""
        box = self.box(selector)
        return bool(box) and box["height"] > 0 and 0 <= box["top"] < self.height and box["right"] <= self.width

    def screenshot(self, path: Path) -> Path:
        """The visible screen as a PNG at `path`."""
        data = self.loop.run_until_complete(self._send("Page.captureScreenshot", format="png"))["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.loop.run_until_complete(self._close())
        self.loop.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    async def _close(self) -> None:
        await self.ws.close()
        await self.http.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
