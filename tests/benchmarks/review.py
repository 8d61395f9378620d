"""Benchmark: the bank matching review screen driven by the keyboard.

Usage (from the repository root)::

    ./tests/benchmarks/run review                 # 200 lines accepted with Enter
    ./tests/benchmarks/run review --decisions 50  # a quick check

Builds, on a copy of the benchmark database (``createdb -T``), the data of
``tests/benchmarks/matching.py`` (its generator and fast set-up: partners,
open items, statement lines; default 240 lines / 1,200 open items), with
the company's automatic match threshold above 100 % and partial payments
not reconciled by themselves, so that the engine (``action_auto_match``,
inline) reconciles nothing and leaves a suggestion on nearly every line:
the review of a company that checks every line.  Then a real Odoo server on
a loopback port (threaded, no cron) serves it, Debian's headless Chromium
(DevTools protocol) logs in as admin (a closing accountant), opens *Bank
Matching > Review*, shows the lines with suggestions and presses Enter,
as a real key press, on each line in turn: the best suggestion is
accepted and the next line selected.  A decision is timed from the key
press to the screen showing the next line (the decided line gone from the
list, the next one selected); the requests the page made meanwhile are
counted from the browser's network events, and the server's log gives each
request's time and SQL queries.  It prints seconds per line, requests per
line and ends with::

    lines=N s_per_line=A requests_per_line=R rpc_per_line=C \
        median_ms=M p90_ms=P server_ms=S queries_per_line=Q   (one line)

Goal: one RPC per decision, under 300 ms per line on the 2-core machine.
The copy is dropped and the server and browser stopped at the end, also on
error or Ctrl-C (``--keep`` keeps the copy).
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from server import HERE, OdooServer, close, drop, free_port, running, sh

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

ACTION = "sales_closing_reconcile.sales_closing_review_action"
DECIDE_GROUP = "sales_closing.group_closing_accountant"
# werkzeug's access line with Odoo's figures: queries, query time, the rest
ACCESS = re.compile(
    r'"POST (?P<path>/\S+) HTTP/[\d.]+" (?P<status>\d+) - '
    r"(?P<queries>\d+) (?P<sql>[\d.]+) (?P<other>[\d.]+)"
)


def build(args, template, database):
    """``database``: a copy of ``template`` with the generated data, every
    line left with suggestions by the engine (committed)."""
    sys.path.insert(0, str(HERE))
    import matching as base  # noqa: PLC0415 - after the configuration
    import matching_dataset as dataset  # noqa: PLC0415 - next to this file

    base.dataset = dataset
    drop(database)
    sh("createdb", "-T", template, database)
    # and its files: the template's attachments (its asset bundles among
    # them) are rows of the copy, their files in the template's filestore
    filestore = Path(odoo.tools.config.filestore(database))
    shutil.rmtree(filestore, ignore_errors=True)
    if Path(odoo.tools.config.filestore(template)).is_dir():
        shutil.copytree(odoo.tools.config.filestore(template), filestore)
    lines, items, partner_accounts, _truth = dataset.generate(
        args.seed, args.lines, args.items
    )
    start = time.perf_counter()
    with Registry(database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        currencies = base.setup_company(env)
        st_ids, _aml_ids = base.populate(
            env, lines, items, partner_accounts, currencies
        )
        # the engine reconciles nothing by itself: every line is reviewed
        env.company.write(
            {
                "sales_closing_match_threshold": 1.01,
                "sales_closing_match_partial": False,
            }
        )
        env.ref("base.user_admin").write(
            {"groups_id": [(4, env.ref(DECIDE_GROUP).id)], "lang": "en_US"}
        )
        env.flush_all()
        st_lines = env["account.bank.statement.line"].browse(list(st_ids.values()))
        st_lines.with_context(sales_closing_match_now=True).action_auto_match()
        env.flush_all()
        st_lines.invalidate_recordset()
        suggested = len(
            st_lines.filtered(lambda s: s.sales_closing_match_state == "suggested")
        )
        cr.commit()
    close(database)
    print(
        f"data: {len(lines)} statement lines, {len(items)} open items, "
        f"{suggested} lines with suggestions ({time.perf_counter() - start:.1f} s)",
        flush=True,
    )
    return suggested


class Chromium:
    """Headless Chromium, one tab, over the DevTools protocol; the network
    requests the page starts are recorded."""

    def __init__(self, width=1440, height=900):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="sc-review-")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--lang=en-US",
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _attempt in range(150):
            try:
                pages = requests.get(
                    f"http://127.0.0.1:{self.port}/json", timeout=1
                ).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (requests.RequestException, StopIteration):
                time.sleep(0.2)
        else:
            self.close()
            raise RuntimeError("Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=600)
        self.ids = 0
        self.requests = []  # (url, method) of the page's requests, in order
        self.call("Network.enable")
        self.call("Page.enable")

    def _event(self, message):
        if message.get("method") == "Network.requestWillBeSent":
            request = message["params"]["request"]
            self.requests.append((request["url"], request["method"]))

    def call(self, method, **params):
        self.ids += 1
        self.ws.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def evaluate(self, expression, await_promise=False):
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=await_promise,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=300, what="the page"):
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: not ready after {timeout} s")
            time.sleep(0.2)

    def press(self, key, code, keycode):
        """A real key press (trusted events), as the keyboard gives it."""
        for kind in ("keyDown", "keyUp"):
            params = {
                "type": kind,
                "key": key,
                "code": code,
                "windowsVirtualKeyCode": keycode,
            }
            if kind == "keyDown" and key == "Enter":
                params["text"] = "\r"
            self.call("Input.dispatchKeyEvent", **params)

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


# the selected line's id, once the screen is idle and shows it
SELECTED = """
(() => {
    const row = document.querySelector('.o_sc_review_line.o_sc_selected');
    return row ? Number(row.dataset.lineId) : null;
})()
"""
# the warnings on screen marked as seen before a key press
SEEN = """
document.querySelectorAll('.o_notification_bar.bg-warning')
    .forEach((bar) => bar.setAttribute('data-sc-seen', '1'))
"""
# the text of an error dialog
ERROR = """
(() => {
    const body = document.querySelector('.modal .modal-body');
    return body ? body.textContent.trim().slice(0, 200) : '';
})()
"""
# the text of the screen's last decision ("Last decision: ..."), or ""
HISTORY = """
(() => {
    const last = document.querySelector('.o_sc_history');
    return last ? last.textContent : '';
})()
"""
# resolves once the decision on line ``id`` is on screen: the line gone from
# the list (the next one selected, or the list empty), or, when the line
# stays to review (a partial match leaves it with suggestions), the last
# decision shown changed; and the screen no longer busy.  Or the server
# refused it: its error in a dialog.  Resolved after the
# browser laid it out and painted it (checked in each frame's callbacks, the
# time taken in the task queued then).
DECIDED = """
new Promise((resolve, reject) => {
    const started = performance.now();
    const before = %(history)s;
    const check = () => {
        const row = '.o_sc_review_line[data-line-id="%(id)s"]';
        const gone = !document.querySelector(row);
        const next = document.querySelector('.o_sc_review_line.o_sc_selected')
            || !document.querySelector('.o_sc_review_line');
        const last = document.querySelector('.o_sc_history');
        const changed = last && last.textContent !== before;
        const idle = !document.querySelector('.o_sc_suggestion_accept[disabled]');
        const refused = document.querySelector('.modal .modal-content');
        // a new warning: the suggestion was out of date, renewed instead
        const renewed = document.querySelector(
            '.o_notification_bar.bg-warning:not([data-sc-seen])');
        if (refused || (renewed && idle) || (((gone && next) || changed) && idle)) {
            const outcome = refused ? 'refused'
                : renewed ? 'renewed' : gone ? 'gone' : 'kept';
            // a task queued in the frame's callbacks runs once it is painted
            setTimeout(() => resolve([performance.now(), outcome]), 0);
        } else if (performance.now() - started > 60000) {
            reject(new Error('line %(id)s: no decision on screen after 60 s'));
        } else {
            requestAnimationFrame(check);
        }
    };
    check();
})
"""


def open_review(browser, url, database):
    """Log in as admin, open the review screen on the lines with
    suggestions; returns the number of lines it lists."""
    http = requests.Session()
    answer = http.post(
        f"{url}/web/session/authenticate",
        json={"params": {"db": database, "login": "admin", "password": "admin"}},
        timeout=300,
    ).json()
    if not answer.get("result", {}).get("uid"):
        raise RuntimeError(f"admin cannot log in: {answer.get('error')}")
    browser.call(
        "Network.setCookie",
        name="session_id",
        value=http.cookies["session_id"],
        url=url,
    )
    browser.call("Page.navigate", url=f"{url}/odoo/action-{ACTION}")
    browser.wait_for(
        "Boolean(document.querySelector('.o_sc_review .o_sc_review_line'))",
        what="the review screen",
    )
    # Show: Suggestions, as a user picks it in the filter
    browser.evaluate(
        """(() => {
            const select = document.querySelector('.o_sc_filter_state');
            select.value = 'suggested';
            select.dispatchEvent(new Event('change', {bubbles: true}));
        })()"""
    )
    browser.wait_for(
        """(() => {
            const rows = [...document.querySelectorAll('.o_sc_review_line')];
            return rows.length > 0 && document.querySelector('.o_sc_selected')
                && rows.every(r => r.querySelector('.o_sc_line_score'));
        })()""",
        timeout=120,
        what="the lines with suggestions",
    )
    time.sleep(1)  # the last renders
    # the keys go to the screen, not to the filter
    browser.evaluate("document.activeElement && document.activeElement.blur()")
    # when each key was pressed and each request made (the page's clock)
    browser.evaluate(
        """(() => {
            performance.setResourceTimingBufferSize(100000);
            performance.clearResourceTimings();
            window.scKeys = [];
            const note = (ev) => ev.key === 'Enter' && window.scKeys.push(ev.timeStamp);
            window.addEventListener('keydown', note, true);
        })()"""
    )
    return browser.evaluate("document.querySelectorAll('.o_sc_review_line').length")


def decide(browser, count):
    """Press Enter ``count`` times, each on the line selected then;
    [(ms, requests, outcome)] per decision (outcome: the line left the
    list, was kept to review, its suggestion was out of date and renewed,
    or the server refused the decision), and the
    page's clock when each was shown.  After a refusal the error is closed
    and the next line selected (j)."""
    results, shown = [], []
    for _i in range(count):
        line_id = browser.evaluate(SELECTED)
        if not line_id:
            break
        history = json.dumps(browser.evaluate(HISTORY))
        browser.evaluate(SEEN)
        before = len(browser.requests)
        start = time.perf_counter()
        browser.press("Enter", "Enter", 13)
        done, outcome = browser.evaluate(
            DECIDED % {"id": int(line_id), "history": history}, await_promise=True
        )
        ms = 1000 * (time.perf_counter() - start)
        shown.append(done)
        results.append((ms, browser.requests[before:], outcome))
        if outcome == "refused":
            # the error closed (Escape), the next line selected (j)
            print(f"line {line_id} refused: {browser.evaluate(ERROR)}", flush=True)
            browser.press("Escape", "Escape", 27)
            browser.wait_for("!document.querySelector('.modal')", 30, "the dialog")
            browser.press("j", "KeyJ", 74)
        elif outcome == "renewed":
            # its suggestion was out of date: the next line selected (j)
            print(f"line {line_id}: suggestion out of date, renewed", flush=True)
            browser.press("j", "KeyJ", 74)
    return results, shown


def phases(browser, shown):
    """Mean ms per decision in the page: key press to request sent, request
    sent to answer received (network and server), answer to screen shown."""
    keys = browser.evaluate("window.scKeys")
    calls = browser.evaluate(
        """performance.getEntriesByType('resource')
            .filter(e => e.name.includes('/web/dataset/call_kw'))
            .map(e => [e.startTime, e.responseEnd])"""
    )
    rows = []
    for key, done in zip(keys, shown, strict=False):
        mine = [c for c in calls if key <= c[0] <= done]
        if mine:
            rows.append(
                (mine[0][0] - key, mine[-1][1] - mine[0][0], done - mine[-1][1])
            )
    if not rows:
        return None
    return tuple(statistics.mean(r[i] for r in rows) for i in range(3))


def cpu_seconds(pid):
    """User and system CPU seconds of process ``pid`` and its children."""
    import psutil  # noqa: PLC0415 - in the project's environment

    try:
        process = psutil.Process(pid)
        total = 0.0
        for proc in [process, *process.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def server_figures(log_text):
    """[(path, queries, seconds)] of the POST requests in the server's log."""
    found = []
    for match in ACCESS.finditer(log_text):
        found.append(
            (
                match["path"],
                int(match["queries"]),
                float(match["sql"]) + float(match["other"]),
            )
        )
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench_review")
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--lines", type=int, default=240)
    parser.add_argument("--items", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--copy", help="the database with the data (default: DATABASE_run)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database with the data"
    )
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    work = args.copy or f"{args.database}_run"
    workdir = tempfile.mkdtemp(prefix="sc-bench-review-")
    browser = None
    try:
        suggested = build(args, args.database, work)
        if suggested < args.decisions:
            print(
                f"only {suggested} lines with suggestions for {args.decisions} "
                f"decisions: raise --lines",
                flush=True,
            )
        server = OdooServer(
            args.config,
            work,
            workdir,
            "review",
            options={
                "workers": "0",
                "max_cron_threads": "0",
                "log_level": "info",
            },
        )
        with running(server):
            browser = Chromium()
            start = time.perf_counter()
            listed = open_review(browser, server.url, work)
            print(
                f"review screen open with {listed} lines listed "
                f"({time.perf_counter() - start:.1f} s, assets included)",
                flush=True,
            )
            offset = len(server.log_text())
            cpu = cpu_seconds(server.process.pid), cpu_seconds(browser.process.pid)
            load = os.getloadavg()[0]
            start = time.perf_counter()
            results, shown = decide(browser, min(args.decisions, listed))
            seconds = time.perf_counter() - start
            cpu = (
                cpu_seconds(server.process.pid) - cpu[0],
                cpu_seconds(browser.process.pid) - cpu[1],
            )
            split = phases(browser, shown)
            time.sleep(0.5)  # the server's last access line
            served = server_figures(server.log_text()[offset:])
        n = len(results)
        if not n:
            raise SystemExit("no line decided")
        times = sorted(r[0] for r in results)
        # the page's requests (not the images inlined as data: URLs)
        all_requests = [
            r for result in results for r in result[1] if not r[0].startswith("data:")
        ]
        kept = sum(1 for result in results if result[2] == "kept")
        refused = sum(1 for result in results if result[2] == "refused")
        renewed = sum(1 for result in results if result[2] == "renewed")
        rpc = [r for r in all_requests if "/web/dataset/call_kw" in r[0]]
        paths = {}
        for url, _method in all_requests:
            path = re.sub(r"^https?://[^/]+", "", url)
            paths[path] = paths.get(path, 0) + 1
        accepts = [s for s in served if s[0].endswith("/accept")]
        server_ms = 1000 * statistics.mean(s[2] for s in served) if served else 0.0
        queries = sum(s[1] for s in served) / n
        print(
            f"{n} suggestions accepted with Enter in {seconds:.1f} s "
            f"(load average {load:.1f} when they started, "
            f"{os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores); "
            f"{kept} of them left their line to review (partly matched), "
            f"{refused} refused by the server, {renewed} out of date (renewed)"
        )
        print(
            f"CPU per line: Odoo {1000 * cpu[0] / n:.0f} ms, "
            f"Chromium {1000 * cpu[1] / n:.0f} ms (PostgreSQL not counted)"
        )
        print(
            f"per line: mean {seconds / n * 1000:.0f} ms, median "
            f"{statistics.median(times):.0f} ms, p90 "
            f"{times[int(0.9 * (n - 1))]:.0f} ms, fastest {times[0]:.0f} ms, "
            f"slowest {times[-1]:.0f} ms"
        )
        if split:
            print(
                "in the page, per line: key to request {:.0f} ms, request to "
                "answer {:.0f} ms, answer to next line shown {:.0f} ms".format(*split)
            )
        print(f"requests by the page during the decisions: {len(all_requests)}")
        for path, count in sorted(paths.items(), key=lambda p: -p[1]):
            print(f"  {count:5d}  {path}")
        print(
            f"server: {len(served)} requests ({len(accepts)} accept), "
            f"{server_ms:.0f} ms each on average, "
            f"{queries:.1f} SQL queries per line"
        )
        print(
            f"lines={n} s_per_line={seconds / n:.3f} "
            f"requests_per_line={len(all_requests) / n:.2f} "
            f"rpc_per_line={len(rpc) / n:.2f} "
            f"median_ms={statistics.median(times):.0f} "
            f"p90_ms={times[int(0.9 * (n - 1))]:.0f} "
            f"server_ms={server_ms:.0f} queries_per_line={queries:.1f}"
        )
    finally:
        if browser is not None:
            browser.close()
        if not args.keep:
            drop(work)
            shutil.rmtree(odoo.tools.config.filestore(work), ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
