"""Just enough WebDriver to open a page in headless Chromium and ask it questions.

Talks to ``chromedriver`` over its W3C HTTP API with the standard library, so the test
suite needs no Selenium. :func:`missing` says why a browser test cannot run here.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000"]


def binaries() -> tuple[str | None, str | None]:
    browser = next((p for name in ("chromium", "chromium-browser", "google-chrome")
                    if (p := shutil.which(name))), None)
    return browser, shutil.which("chromedriver")


def missing() -> str | None:
    """Why the browser test must skip, or None when Chromium and chromedriver are here.

    CI sets QUALKIT_REQUIRE_BROWSER=1 after installing them, so there a missing browser is
    an error, not a quiet skip."""
    browser, driver = binaries()
    reason = None
    if browser is None:
        reason = ("Chromium is not installed (Debian: apt-get install chromium "
                  "chromium-driver; .ci/run installs both)")
    elif driver is None:
        reason = "chromedriver is not installed (Debian: apt-get install chromium-driver)"
    if reason and os.environ.get("QUALKIT_REQUIRE_BROWSER"):
        raise RuntimeError(f"QUALKIT_REQUIRE_BROWSER is set, but {reason}")
    return reason


class Browser:
    def __init__(self, url: str, session: str) -> None:
        self.url, self.session = url, session

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/session/{self.session}{path}",
                                         data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["value"]

    def open(self, url: str) -> None:
        self.call("POST", "/url", {"url": url})

    def resize(self, width: int, height: int) -> None:
        """Make the viewport (the page's innerWidth and innerHeight) this size."""
        self.call("POST", "/window/rect", {"width": width, "height": height})
        inner = self.run("return [window.innerWidth, window.innerHeight]")
        self.call("POST", "/window/rect", {"width": 2 * width - inner[0],
                                           "height": 2 * height - inner[1]})

    def run(self, script: str) -> Any:
        return self.call("POST", "/execute/sync", {"script": script, "args": []})

    def console(self) -> list[dict[str, Any]]:
        """Console messages and page errors since the last call (chromedriver's log)."""
        return self.call("POST", "/se/log", {"type": "browser"})

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium session with a fresh profile, closed afterwards."""
    browser, driver = binaries()
    assert browser and driver, missing()
    port = _free_port()
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    profile = tempfile.mkdtemp(prefix="qualkit-chromium-")
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/status", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": browser,
                                   "args": [*FLAGS, f"--user-data-dir={profile}"]},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        request = urllib.request.Request(f"{url}/session", method="POST",
                                         data=json.dumps(capabilities).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            session = json.loads(response.read())["value"]["sessionId"]
        page = Browser(url, session)
        try:
            yield page
        finally:
            page.call("DELETE", "")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)
