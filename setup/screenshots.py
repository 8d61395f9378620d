"""The README's screenshots, taken from a running demo (./setup/demo).

Logs in (JSON-RPC), hands the session to Debian's headless Chromium through
its DevTools protocol, opens each screen at 1440x900 and saves it as a
256-colour PNG in doc/screenshots/: English as admin, Chinese as the
Shanghai company's closing manager.  Run by ./setup/screenshots.
"""

import argparse
import base64
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests
import websocket
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "doc" / "screenshots"
WIDTH, HEIGHT = 1440, 900
PORT = 9333
# (file name, action xmlid, model of the record opened or None, its domain)
SCREENS = [
    (
        "period",
        "sales_closing.sales_closing_period_action",
        "sales.closing.period",
        [("state", "!=", "closed")],
    ),
    ("checklist", "sales_closing.sales_closing_check_line_action_my", None, None),
    (
        "package",
        "sales_closing.sales_closing_package_action",
        "sales.closing.package",
        [],
    ),
    (
        "reminder-run",
        "sales_closing_payments.action_sales_closing_dunning_run",
        "sales.closing.dunning.run",
        [],
    ),
    (
        "collection",
        "sales_closing_payments.action_sales_closing_collection_case",
        None,
        None,
    ),
    (
        "bank-matching",
        "sales_closing_reconcile.sales_closing_match_line_action",
        None,
        None,
    ),
]
# (language, login, password)
USERS = [("en", "admin", "admin"), ("zh", "chen.jing", "chen.jing")]
READY = """
(() => {
    const view = document.querySelector(
        '.o_action_manager .o_form_renderer, .o_action_manager .o_list_renderer,'
        + ' .o_action_manager .o_kanban_renderer');
    return Boolean(view) && !document.querySelector('.o_loading_indicator, .o_blockUI');
})()
"""


class Browser:
    """One headless Chromium tab driven through the DevTools protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="sc-shots-")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--lang=en-US",
                f"--remote-debugging-port={PORT}",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{PORT}/json", timeout=1).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (requests.RequestException, StopIteration):
                time.sleep(0.2)
        else:
            raise RuntimeError("Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"])
        self.ids = 0
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Network.enable")

    def call(self, method, **params):
        self.ids += 1
        self.ws.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.ids:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def shot(self, url, path):
        self.call("Page.navigate", url=url)
        deadline = time.time() + 60
        while not self.evaluate(READY):
            if time.time() > deadline:
                raise RuntimeError(f"{url} did not load")
            time.sleep(0.3)
        time.sleep(1.5)  # images, fonts and animations
        # a notice of the server (e.g. "this page has expired" when its
        # assets changed since the page loaded) is not part of the screen
        self.evaluate(
            "document.querySelectorAll('.o_notification').forEach(n => n.remove())"
        )
        data = self.call("Page.captureScreenshot", format="png")["data"]
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def session(url, db, login, password):
    """A logged-in ``requests`` session (its cookie goes to the browser)."""
    http = requests.Session()
    answer = http.post(
        f"{url}/web/session/authenticate",
        json={"params": {"db": db, "login": login, "password": password}},
        timeout=60,
    ).json()
    if answer.get("error") or not answer.get("result", {}).get("uid"):
        raise RuntimeError(f"{login} cannot log in to {db}: {answer.get('error')}")
    return http


def first_id(http, url, model, domain):
    answer = http.post(
        f"{url}/web/dataset/call_kw",
        json={
            "params": {
                "model": model,
                "method": "search",
                "args": [domain],
                "kwargs": {"limit": 1},
            }
        },
        timeout=60,
    ).json()
    ids = answer.get("result")
    if not ids:
        raise RuntimeError(f"no {model} record to show: {answer.get('error')}")
    return ids[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument(
        "--db", default=os.environ.get("SALES_CLOSING_DEMO_DB", "sales_closing_demo")
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        for lang, login, password in USERS:
            http = session(args.url, args.db, login, password)
            browser.call("Network.clearBrowserCookies")
            browser.call(
                "Network.setCookie",
                name="session_id",
                value=http.cookies["session_id"],
                url=args.url,
            )
            for name, action, model, domain in SCREENS:
                url = f"{args.url}/odoo/action-{action}"
                if model:
                    url += f"/{first_id(http, args.url, model, domain)}"
                path = OUT / f"{name}-{lang}.png"
                browser.shot(url, path)
                print(f"{path.relative_to(REPO)}: {path.stat().st_size // 1024} KB")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
