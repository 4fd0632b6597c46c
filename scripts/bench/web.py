"""The web app's weight and its first view's time to interactive on the local stack (issue 20 item 7):

    python -m bench.web [--runs 10]

1. Bundle size: for each page of the build (``web/dist/``, built first by ``scripts/buildtools/web_build.py``), the
   JavaScript and CSS its HTML loads before anything is clicked (the entry, its preloaded chunks, its
   stylesheets), raw and gzip -9. Chunks only loaded on demand are listed apart.
2. Time to interactive: ``python -m devstack up --in-memory`` on a free port, then Debian's chromium (Playwright)
   opens each page ``--runs`` times (after one load not counted), each in a new browser context (nothing
   cached). TTI is the page's
   ``hourbank:interactive`` performance mark (``web/src/interactive.ts``: set in the first view's first effect,
   so the view is on screen with its handlers attached), in ms from navigation start; "content" is when the
   first view's data is shown (the price table, the order's status, the sign-in button), read in the page on
   each animation frame. Once as the machine runs, once with the CPU slowed 4x (Chrome's throttling: a
   mid-range phone) at 390x844. "HTML received" (the navigation's responseEnd) is the local gateway's part.
3. The technician's desk (issue 21, SPEC W3): a technician signed in once through the local sign-in (the
   session oidc-client-ts keeps in sessionStorage is put back into each new context before the page runs), with
   a queue of ``DESK_TICKETS`` open tickets; "content" is the queue's first row on screen, read from the API.

Prints a Markdown section for docs/BENCHMARKS.md; writes nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
CHROMIUM = "/usr/bin/chromium"
PAGES = {  # page -> (path, what shows its first view's data)
    "order form": ("/", "#price-table"),
    "paid page": ("/paid.html?order={order}", "#status:not(:empty)"),
    "portal (signed out)": ("/portal/", "#sign-in"),
}
HTML = {"order form": "index.html", "paid page": "paid.html", "portal (signed out)": "portal/index.html"}
DESK = ("/portal/", "#queue tbody tr")
DESK_TICKETS = 20


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def bundle_sizes() -> list[tuple[str, int, int, int, int, list[tuple[str, int, int]]]]:
    """Per page: JS raw and gzip, CSS raw and gzip, and the chunks its code imports only on demand."""
    rows = []
    for page, html in HTML.items():
        text = (DIST / html).read_text()
        files = re.findall(r'<script[^>]*\ssrc="(/[^"]+)"', text) + re.findall(r'<link[^>]*\shref="(/[^"]+)"', text)
        js = [DIST / f.lstrip("/") for f in files if f.endswith(".js")]
        css = [DIST / f.lstrip("/") for f in files if f.endswith(".css")]
        raw_js, raw_css = b"".join(p.read_bytes() for p in js), b"".join(p.read_bytes() for p in css)
        code = raw_js.decode("utf-8", "replace")
        lazy = [
            (p.name, p.stat().st_size, _gz(p.read_bytes()))
            for p in sorted((DIST / "assets").glob("*.js"))
            if p not in js and p.name in code  # a dynamic import() of it
        ]
        js_gz = sum(_gz(p.read_bytes()) for p in js)
        rows.append((page, len(raw_js), js_gz, len(raw_css), _gz(raw_css) if css else 0, lazy))
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_stack(port: int) -> subprocess.Popen[str]:
    stack = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up", "--in-memory", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 180
    assert stack.stdout is not None
    while time.monotonic() < deadline:
        line = stack.stdout.readline()
        if not line and stack.poll() is not None:
            raise SystemExit(f"the local stack stopped (exit {stack.returncode})")
        if "local stack ready" in line:
            return stack
    stack.terminate()
    raise SystemExit("the local stack was not ready within 180 s")


def pending_order(base: str) -> str:
    body = json.dumps({"name": "Bench Ltd", "email": "bench@bench.example", "hours": 1}).encode()
    req = urllib.request.Request(f"{base}/orders", body, {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as reply:  # local stack only
        return str(json.loads(reply.read())["order_id"])


def _api(base: str, method: str, path: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(
        base + path,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method=method,
    )
    with urllib.request.urlopen(req, timeout=30) as reply:  # local stack only
        return dict(json.loads(reply.read()))


def signed_in(browser: Any, base: str, role: str) -> tuple[dict[str, str], str]:
    """The portal's sessionStorage after signing in as ``role`` through the local sign-in, and its ID token."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + "/portal/")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Sign in as").select_option(role)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/portal/**")
        page.locator("#sign-out").wait_for()
        storage = dict(page.evaluate("() => Object.fromEntries(Object.entries(sessionStorage))"))
    finally:
        context.close()
    user = next(json.loads(v) for k, v in storage.items() if k.startswith("oidc.user:"))
    return storage, str(user["id_token"])


def desk_queue(browser: Any, base: str) -> dict[str, str]:
    """A technician's session, and ``DESK_TICKETS`` open tickets on the queue it lands on."""
    _, billing = signed_in(browser, base, "billing")
    account = _api(
        base, "POST", "/accounts", billing, {"name": "Bench Desk Co", "email": "desk@bench.example", "plan": "member"}
    )
    storage, technician = signed_in(browser, base, "technician")
    for i in range(DESK_TICKETS):
        body = {"account_id": account["account_id"], "title": f"Bench ticket {i}", "priority": "normal"}
        _api(base, "POST", "/tickets", technician, body)
    return storage


def measure(
    browser: Any, url: str, content: str, *, slowdown: float, phone: bool, session: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(TTI, content shown, the page's HTML received) in ms from navigation start, for one cold load."""
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=viewport, locale="en-US")
    if session:  # signed in: the library's session is there before the page's first script runs
        context.add_init_script(
            f"for (const [k, v] of Object.entries({json.dumps(session)})) window.sessionStorage.setItem(k, v);"
        )
    try:
        page = context.new_page()
        if slowdown > 1:
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
        page.goto(url, wait_until="commit")
        shown = page.wait_for_function(
            f"() => document.querySelector({json.dumps(content)}) && performance.now()", polling="raf", timeout=60_000
        ).json_value()
        tti = page.wait_for_function(
            "() => { const m = performance.getEntriesByName('hourbank:interactive')[0]; return m && m.startTime; }",
            timeout=60_000,
        ).json_value()
        html = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
        return float(tti), float(shown), float(html)
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "buildtools" / "web_build.py"), "--force"], check=True)
    rows = bundle_sizes()
    print("### Bundle size (the JavaScript and CSS a page loads before anything is clicked)\n")
    print("| page | JS raw | JS gzip | CSS raw | CSS gzip | loaded on demand only |\n|---|---:|---:|---:|---:|---|")
    for page, js, js_gz, css, css_gz, lazy in rows:
        kb = [f"{n / 1024:.1f} kB" for n in (js, js_gz, css, css_gz)]
        later = ", ".join(f"`{n}` {gz / 1024:.1f} kB gzip" for n, _, gz in lazy) or "—"
        print(f"| {page} | {kb[0]} | **{kb[1]}** | {kb[2]} | {kb[3]} | {later} |")

    port = _free_port()
    stack = start_stack(port)
    base = f"http://127.0.0.1:{port}"
    try:
        order = pending_order(base)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            print(f"\n### First view, time to interactive (ms from navigation start; median / max of {args.runs})\n")
            print("| page | HTML received | TTI | content shown | TTI, CPU 4x slower, 390x844 | content shown, same |")
            print("|---|---:|---:|---:|---:|---:|")
            desk = desk_queue(browser, base)
            pages = {**PAGES, f"technician's desk (signed in, {DESK_TICKETS} open tickets)": DESK}
            for page, (path, content) in pages.items():
                url = base + path.format(order=order)
                session = desk if (path, content) == DESK else None
                measure(browser, url, content, slowdown=1, phone=False, session=session)  # a warm-up, not counted
                fast = [
                    measure(browser, url, content, slowdown=1, phone=False, session=session) for _ in range(args.runs)
                ]
                slow = [
                    measure(browser, url, content, slowdown=4, phone=True, session=session) for _ in range(args.runs)
                ]

                def cell(values: list[float]) -> str:
                    return f"{statistics.median(values):.0f} / {max(values):.0f}"

                columns = [[h for *_, h in fast], [t for t, *_ in fast], [s for _, s, _ in fast]]
                columns += [[t for t, *_ in slow], [s for _, s, _ in slow]]
                print(f"| {page} | {' | '.join(cell(c) for c in columns)} |")
            browser.close()
    finally:
        stack.terminate()
        stack.wait(timeout=60)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{os.cpu_count()} CPU cores, load average {load} at the end; chromium {CHROMIUM};")
    print(f"`python -m bench.web --runs {args.runs}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
