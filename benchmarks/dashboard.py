"""Dashboard: seconds from opening the page to the first picture of the slice, in headless Chromium.

    python benchmarks/dashboard.py                 # server on 127.0.0.1, wait 10 s, then 3 visits
    python benchmarks/dashboard.py --wait 0 --visits 1

Starts ``python -m bonegrid.dashboard`` on a free loopback port, waits until it listens and then
``--wait`` seconds more (the server builds the first visitor's bone while it starts), then opens the
page ``--visits`` times, one after another, and prints each time to the first picture (the
``.bg-slice`` image). Needs the dashboard and
test extras (Solara, Playwright) and Debian's chromium at /usr/bin/chromium.
"""

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 60.0) -> None:
    """Wait until the server accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wait", type=float, default=10.0, help="seconds between server start and first visit")
    parser.add_argument("--visits", type=int, default=3, help="visits, one after another (default 3)")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bonegrid.dashboard", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        time.sleep(args.wait)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-background-networking"])
            times = []
            for visit in range(1, args.visits + 1):
                page = browser.new_page()
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}")
                page.wait_for_selector(".bg-slice", timeout=120_000)
                times.append(time.perf_counter() - start)
                print(f"visit {visit}: first picture after {times[-1]:.1f} s", flush=True)
                page.close()
            browser.close()
        print(f"median {sorted(times)[len(times) // 2]:.1f} s over {len(times)} visits")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
