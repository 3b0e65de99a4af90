"""Dashboard in headless Chromium: seconds to the first picture, and milliseconds per step + redraw.

    python benchmarks/dashboard.py                 # server on 127.0.0.1, wait 10 s, 3 visits, 15 steps
    python benchmarks/dashboard.py --wait 0 --visits 1 --steps 0

Starts ``python -m bonegrid.dashboard`` on a free loopback port, waits until it listens and then
``--wait`` seconds more (the server builds the first visitor's bone while it starts), then opens the
page ``--visits`` times, one after another, and prints each time to the first picture (the
``.bg-slice`` image). Then, on the last visit's page, it sets 1 day per picture and times
``--steps`` steps in the page itself, from the click on Step to the new slice image being loaded
(one day of the patient and its healthy twin at ``--grid``, default 256² as in issue 15's row, both
slices drawn, the plots updated), and
prints the median. Needs the dashboard and test extras (Solara, Playwright) and Debian's chromium
at /usr/bin/chromium.
"""

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TIME_STEPS = r"""async (n) => {
  const img = () => {
    const el = document.querySelector('.bg-slice');
    return el.tagName === 'IMG' ? el : el.querySelector('img');
  };
  const times = [], server = [];
  for (let i = 0; i < n; i++) {
    const before = img().src;
    const t0 = performance.now();
    document.querySelector('button.bg-step').click();
    await new Promise((resolve) => {
      const check = () => { const im = img(); if (im.src !== before && im.complete) resolve(); else setTimeout(check, 2); };
      check();
    });
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 30));
    const said = /last step \+ redraw (\d+) ms/.exec(document.querySelector('.bg-day').textContent);
    if (said) server.push(Number(said[1]));
  }
  return [times, server];
}"""
"""JavaScript run in the page: click Step ``n`` times, each time waiting for the new slice image; the times, ms, and
the server's own step + picture times the page reports."""


def one_day_per_picture(page) -> None:
    """Set the page's "days per picture" slider to 1 (one model step per picture)."""
    page.locator(".bg-run .v-slider").first.click()
    page.keyboard.press("Home")
    page.wait_for_selector("button.bg-step:has-text('Step +1 d')")


def timed_steps(page, n: int, days: int, grid: int) -> float:
    """Step ``n`` times; print and return the median step + redraw time in the browser, ms."""
    times, server = page.evaluate(TIME_STEPS, n)
    median = statistics.median(times)
    print(f"step + redraw in the browser, {days} day(s) per step, {grid}² patient + twin: median {median:.0f} ms, "
          f"min {min(times):.0f}, max {max(times):.0f} (n={n})", flush=True)
    if server:
        print(f"  of it on the server, stepping both models and drawing the frame: median "
              f"{statistics.median(server):.0f} ms (n={len(server)})", flush=True)
    return median


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
    parser.add_argument("--steps", type=int, default=15, help="timed one-day steps after the visits (default 15)")
    parser.add_argument("--grid", type=int, default=256, help="slice size, voxels per side (default 256, issue 15's row)")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bonegrid.dashboard", "--port", str(port), "--grid", str(args.grid)],
                              cwd=ROOT,
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
                if visit == args.visits and args.steps:
                    page.wait_for_selector(".bg-chart-bmd canvas", timeout=30_000)
                    one_day_per_picture(page)
                    timed_steps(page, args.steps, days=1, grid=args.grid)
                page.close()
            browser.close()
        print(f"median {sorted(times)[len(times) // 2]:.1f} s over {len(times)} visits")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
