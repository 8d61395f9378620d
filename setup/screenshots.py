"""The README's screenshots, taken from a running demo (./setup/demo).

Logs in (JSON-RPC), hands the session to Debian's headless Chromium through
its DevTools protocol, opens each screen at 1440x900 and saves it as a
256-colour PNG in doc/screenshots/: English as admin, Chinese as the
Shanghai company's closing manager.  The first page of a closing package
PDF (the report the package seals, rendered by the server) is converted with
pdftoppm.  The English images are copied into each addon's
static/description/ (as OCA addons show theirs).  Run by ./setup/screenshots.
"""

import argparse
import base64
import io
import json
import os
import shutil
import socket
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
# (file name, action xmlid, model of the record opened or None, its domain)
SCREENS = [
    (
        "dashboard",
        "sales_closing.sales_closing_period_action_dashboard",
        None,
        None,
    ),
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
    ("review", "sales_closing_reconcile.sales_closing_review_action", None, None),
    (
        "differences",
        "sales_closing_reconcile.sales_closing_difference_action",
        None,
        None,
    ),
    # China e-fapiao (the Shanghai company): the batch export wizard over
    # the invoices to export, and an invoice with its issued e-fapiao
    ("fapiao-export", "account.action_move_out_invoice_type", None, None),
    (
        "fapiao-invoice",
        "account.action_move_out_invoice_type",
        "account.move",
        [("sales_closing_fapiao_state", "=", "issued")],
    ),
]
# What to do on a screen once it is loaded, before the shot: the review
# screen shows a line with suggestions (the first line may have none), the
# differences their first group.
PREPARE = {
    # the chatter's attachment box: the issued XML the import attached
    "fapiao-invoice": """
        (() => {
            const clip = document.querySelector('.o-mail-Chatter-attachFiles');
            if (clip) { clip.click(); }
        })()
    """,
    # the export wizard opened as from the invoices' Action menu; %s is the
    # list of the invoices to export
    "fapiao-export": """
        odoo.__WOWL_DEBUG__.root.env.services.action.doAction(
            'sales_closing.sales_closing_fapiao_export_action',
            {additionalContext: {active_model: 'account.move', active_ids: %s}})
    """,
    "differences": """
        (() => {
            const group = document.querySelector('.o_group_header');
            if (group) { group.click(); }
        })()
    """,
    "review": """
        (() => {
            const score = document.querySelector('.o_sc_review_line .o_sc_line_score');
            if (score) { score.closest('tr').click(); }
        })()
    """,
}
# The closing package whose PDF is shown, per language: one of a company
# that works in that language (a package is sealed in its company's).
PACKAGE_DOMAINS = {
    "en": [("company_id.partner_id.lang", "=like", "en%")],
    "zh": [("company_id.partner_id.lang", "=", "zh_CN")],
}
# Screens taller than the window: the invoice with its e-fapiao and, below
# the lines, the chatter with the issued XML attached.
HEIGHTS = {"fapiao-invoice": 1350}
# Screens that are ready once this element shows (after PREPARE).
WAIT = {
    "fapiao-export": ".modal .o_form_renderer .o_data_row",
    "fapiao-invoice": ".o-mail-AttachmentBox .o-mail-AttachmentCard",
}
# The records PREPARE works on: (model, domain), their ids replace its %s.
PREPARE_IDS = {
    "fapiao-export": (
        "account.move",
        [
            ("sales_closing_fapiao_state", "=", "to_export"),
            ("move_type", "=", "out_invoice"),
        ],
    ),
}
# Images copied into each addon's static/description/ (English ones).
DESCRIPTION = {
    "sales_closing": ["dashboard", "period", "checklist", "package", "package-pdf"],
    "sales_closing_payments": ["reminder-run", "collection"],
    "sales_closing_reconcile": ["review", "bank-matching", "differences"],
}
# (language, login, password)
USERS = [("en", "admin", "admin"), ("zh", "chen.jing", "chen.jing")]
READY = """
(() => {
    const view = document.querySelector(
        '.o_action_manager .o_form_renderer, .o_action_manager .o_list_renderer,'
        + ' .o_action_manager .o_kanban_renderer,'
        + ' .o_action_manager .o_sc_review .o_sc_review_line,'
        + ' .o_action_manager .o_sc_review .o_sc_review_empty');
    return Boolean(view) && !document.querySelector('.o_loading_indicator, .o_blockUI');
})()
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def save_png(image, path):
    """``image`` as a 256-colour PNG (a few dozen KB for a screen)."""
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        path, optimize=True
    )


class Browser:
    """One headless Chromium tab driven through the DevTools protocol."""

    def __init__(self):
        port = free_port()
        self.profile = tempfile.mkdtemp(prefix="sc-shots-")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--lang=en-US",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
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

    def shot(self, url, path, prepare=None, wait=None, height=HEIGHT):
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        deadline = time.time() + 60
        while not self.evaluate(READY):
            if time.time() > deadline:
                raise RuntimeError(f"{url} did not load")
            time.sleep(0.3)
        if prepare:
            time.sleep(0.5)
            self.evaluate(prepare)
        if wait:
            while not self.evaluate(f"Boolean(document.querySelector({wait!r}))"):
                if time.time() > deadline:
                    raise RuntimeError(f"{url}: {wait} did not show")
                time.sleep(0.3)
        time.sleep(1.5)  # images, fonts and animations
        # a notice of the server (e.g. "this page has expired" when its
        # assets changed since the page loaded) is not part of the screen
        self.evaluate(
            "document.querySelectorAll('.o_notification').forEach(n => n.remove())"
        )
        data = self.call("Page.captureScreenshot", format="png")["data"]
        save_png(Image.open(io.BytesIO(base64.b64decode(data))), path)

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


def package_pdf(http, url, package_id, path):
    """The first page of the closing package's PDF (the report it seals,
    rendered by the server) as a PNG: pdftoppm at 110 dpi, A4 910x1286."""
    answer = http.get(
        f"{url}/report/pdf/sales_closing.report_closing_package/{package_id}",
        timeout=300,
    )
    if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
        raise RuntimeError(f"no PDF for package {package_id}: {answer.status_code}")
    with tempfile.TemporaryDirectory(prefix="sc-pdf-") as tmp:
        pdf = Path(tmp) / "package.pdf"
        pdf.write_bytes(answer.content)
        subprocess.run(
            ["pdftoppm", "-f", "1", "-l", "1", "-r", "110", "-png", "-singlefile"]
            + [str(pdf), str(Path(tmp) / "page")],
            check=True,
        )
        with Image.open(Path(tmp) / "page.png") as page:
            save_png(page, path)


def suggested_company(http, url):
    """The company of a statement line with suggestions the user can see
    (the review screen is shown in it), or None."""
    answer = http.post(
        f"{url}/web/dataset/call_kw",
        json={
            "params": {
                "model": "account.bank.statement.line",
                "method": "search_read",
                "args": [[("sales_closing_match_state", "=", "suggested")]],
                "kwargs": {"fields": ["company_id"], "limit": 1, "order": "id"},
            }
        },
        timeout=60,
    ).json()
    rows = answer.get("result") or []
    return rows[0]["company_id"][0] if rows else None


def first_id(http, url, model, domain):
    return search_ids(http, url, model, domain, limit=1)[0]


def search_ids(http, url, model, domain, limit=None):
    answer = http.post(
        f"{url}/web/dataset/call_kw",
        json={
            "params": {
                "model": model,
                "method": "search",
                "args": [domain],
                "kwargs": {"limit": limit, "order": "id"},
            }
        },
        timeout=60,
    ).json()
    ids = answer.get("result")
    if not ids:
        raise RuntimeError(f"no {model} record to show: {answer.get('error')}")
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument(
        "--db", default=os.environ.get("SALES_CLOSING_DEMO_DB", "sales_closing_demo")
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SCREEN",
        choices=[screen[0] for screen in SCREENS],
        help="take these screens only (no package PDF, nothing copied into "
        "static/description/)",
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
                if args.only and name not in args.only:
                    continue
                url = f"{args.url}/odoo/action-{action}"
                if model:
                    url += f"/{first_id(http, args.url, model, domain)}"
                path = OUT / f"{name}-{lang}.png"
                company = name == "review" and suggested_company(http, args.url)
                if company:
                    # the review screen in a company with suggestions
                    browser.call(
                        "Network.setCookie",
                        name="cids",
                        value=str(company),
                        url=args.url,
                    )
                prepare = PREPARE.get(name)
                if name in PREPARE_IDS:
                    prepare %= json.dumps(
                        search_ids(http, args.url, *PREPARE_IDS[name])
                    )
                browser.shot(
                    url, path, prepare, WAIT.get(name), HEIGHTS.get(name, HEIGHT)
                )
                if company:
                    browser.call("Network.deleteCookies", name="cids", url=args.url)
                print(f"{path.relative_to(REPO)}: {path.stat().st_size // 1024} KB")
            if args.only:
                continue
            package = first_id(
                http, args.url, "sales.closing.package", PACKAGE_DOMAINS[lang]
            )
            path = OUT / f"package-pdf-{lang}.png"
            package_pdf(http, args.url, package, path)
            print(f"{path.relative_to(REPO)}: {path.stat().st_size // 1024} KB")
    finally:
        browser.close()
    if args.only:
        return
    for addon, names in DESCRIPTION.items():
        for name in names:
            target = REPO / addon / "static" / "description" / f"{name}.png"
            shutil.copyfile(OUT / f"{name}-en.png", target)
            print(f"{target.relative_to(REPO)}")


if __name__ == "__main__":
    main()
