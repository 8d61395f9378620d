"""Fault injection: a real Odoo server killed, cut off and lied to while it
matches, invoices, charges, captures and takes payment notifications; then
checks that nothing was lost and nothing done twice.

Usage (from the repository root)::

    ./tests/benchmarks/run faults                # the full run (issue 15)
    ./tests/benchmarks/run faults --short        # small data, a few faults
    ./tests/benchmarks/run faults --lines 2000 --orders 200 --seed 7

The run copies the benchmark database (``--database``, the three addons)
into a database of its own, installs Odoo's demo payment provider and
``faults_addons/sales_closing_faults_gateway`` (which sends the demo
provider's charges, captures, voids and refunds to this script's gateway
simulator; test only), generates its data, and starts a real Odoo server on a
free loopback port: 2 HTTP workers, 2 cron workers (``--cron-threads``;
Odoo's default ``max_cron_threads``) and queue_job's runner.
While the server works (statement lines matched by queue jobs, delivered
orders invoiced by the invoicing automation's scheduled action, due
installments charged by theirs, deliveries validated over JSON-RPC and
captured at the gateway, closing packages sealed by queue jobs, signed
Alipay and WeChat Pay notifications delivered, replayed and forged), the
faults planned from ``--seed`` strike: ``kill -9`` of a worker, of the whole
server (then restarted), ``pg_terminate_backend`` of the database's
sessions, and a gateway that times out after performing the charge or
capture, answers 500 after performing it, receives it twice, or answers
late. Then the faults stop, the work is drained (the scheduled actions run
until nothing is left, the installments retried as on the following days),
the server is stopped and the checks run on the database:

- every statement line reconciled at most once, every journal item's
  residual equal to its recomputation from the partial reconciliations, no
  orphan partial reconciliation, no half-replaced suspense line;
- no quantity invoiced twice, every delivered quantity invoiced;
- no installment charged twice at the gateway, none charged there without a
  confirmed transaction in Odoo, none left in doubt; every capture taken at
  the gateway recorded once;
- every charge or capture whose answer was lost resolved by asking the
  gateway (by its idempotency key) before any new request for it;
- every genuine notification applied once, no forgery applied;
- every queue job done, or failed with its error kept;
- the closing package chains verify.

It prints a table (fault kind, count injected, operations in flight when a
fault of that kind struck, lost, doubled) and a last line
``faults=N operations=N lost=N doubled=N``; it exits 1 when lost or doubled
is not 0. The server's processes and the run's database are removed at the
end, also on failure or Ctrl-C. Traffic goes to 127.0.0.1 only; every loop
is bounded in count and time (``--timeout``).
"""

import argparse
import collections
import contextlib
import datetime
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import requests
from server import HERE, OdooServer, close, drop, sh

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

FAULT_ADDONS = HERE / "faults_addons"
GATEWAY_MODULE = "sales_closing_faults_gateway"
PREFIX = "FAULTS"
FAULT_KINDS = (
    ("worker_kill", "kill -9 of a worker"),
    ("server_kill", "kill -9 of the server"),
    ("pg_terminate", "pg_terminate_backend"),
    ("gw_timeout", "gateway: timeout after it"),
    ("gw_500", "gateway: 500 after it"),
    ("gw_twice", "gateway: request twice"),
    ("gw_late", "gateway: late answer"),
)
GATEWAY_FAULTS = ("gw_timeout", "gw_500", "gw_twice", "gw_late")
WECHAT_QUERY = "/v3/pay/transactions/out-trade-no/"
JOB_LEFT = ("pending", "enqueued", "started", "wait_dependencies")


def utcnow():
    """Naive UTC, as Odoo stores its dates: the operations' windows."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------
# Gateway simulator (the demo provider's gateway)
# ---------------------------------------------------------------------------


class Gateway:
    """A payment gateway on a loopback port that keeps a ledger by
    idempotency key: a key is performed once, a second request with it is
    answered from the ledger. While ``faulty``, a share of the requests get
    a fault, drawn from the run's seed: performed then no answer within the
    client's timeout, performed then HTTP 500, received twice, answered
    late."""

    def __init__(self, seed, share, client_timeout):
        self.rng = random.Random(seed)
        self.share = share
        self.client_timeout = client_timeout
        self.faulty = True
        self.lock = threading.Lock()
        self.ledger = {}
        self.events = []  # (monotonic time, what, key, reference, operation, fault)
        self.faults = collections.Counter()
        self.fault_keys = collections.defaultdict(set)
        self.trades = {}  # Alipay / WeChat Pay: reference -> amount paid
        self.private_key = None  # the gateway's key (signs its answers)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def draw(self, query=False):
        with self.lock:
            if not self.faulty or self.rng.random() >= self.share:
                return None
            kinds = ("gw_timeout", "gw_500", "gw_late") if query else GATEWAY_FAULTS
            return self.rng.choice(kinds)

    def perform(self, payload, fault):
        key = payload["key"]
        with self.lock:
            entry = self.ledger.get(key)
            if entry is None:
                entry = self.ledger[key] = {
                    "operation": payload["operation"],
                    "reference": payload["reference"],
                    "amount": float(payload["amount"]),
                    "status": "done",
                    "requests": 0,
                }
            entry["requests"] += 1
            if fault == "gw_twice":
                entry["requests"] += 1
            self.events.append(
                (
                    time.monotonic(),
                    "send",
                    key,
                    payload["reference"],
                    entry["operation"],
                    fault,
                )
            )
            if fault:
                self.faults[fault] += 1
                self.fault_keys[fault].add(key)
            return dict(entry)

    def query(self, key, fault):
        with self.lock:
            entry = self.ledger.get(key)
            self.events.append(
                (
                    time.monotonic(),
                    "query",
                    key,
                    entry and entry["reference"],
                    None,
                    fault,
                )
            )
            if fault:
                self.faults[fault] += 1
            return entry["status"] if entry else "absent"

    def paid_trade(self, reference, fault):
        """The amount paid at the gateway for ``reference`` (a payment by
        Alipay or WeChat Pay: the genuine notifications' trades), or None."""
        with self.lock:
            self.events.append(
                (time.monotonic(), "trade query", None, reference, None, fault)
            )
            if fault:
                self.faults[fault] += 1
                self.fault_keys[fault].add(("trade", reference))
            return self.trades.get(reference)

    def alipay_query(self, params, fault):
        """The signed answer of Alipay's trade query (alipay.trade.query)."""
        from odoo.addons.sales_closing_payments.engine import simulator  # noqa: PLC0415

        method = params.get("method")
        reference = json.loads(params.get("biz_content") or "{}").get("out_trade_no")
        amount = self.paid_trade(reference, fault)
        if amount is None:
            content = {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.TRADE_NOT_EXIST",
                "sub_msg": "trade does not exist",
            }
        else:
            content = {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": reference,
                "trade_no": f"2026{abs(hash(reference)):016d}"[:28],
                "trade_status": "TRADE_SUCCESS",
                "total_amount": f"{amount:.2f}",
            }
        return simulator.alipay_response(self.private_key, method, content).encode()

    def wechatpay_query(self, reference, fault):
        """(status, headers, body) of WeChat Pay's query by out_trade_no."""
        import notifications  # noqa: PLC0415

        from odoo.addons.sales_closing_payments.engine import simulator  # noqa: PLC0415

        amount = self.paid_trade(reference, fault)
        if amount is None:
            status, body = 404, {"code": "ORDER_NOT_EXIST", "message": "not exist"}
        else:
            status = 200
            body = simulator.wechatpay_transaction(
                notifications.WECHAT_APPID,
                notifications.WECHAT_MCHID,
                reference,
                round(amount * 100),
            )
        body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        headers = simulator.wechatpay_signed_headers(
            self.private_key, notifications.WECHAT_SERIAL, body
        )
        return status, headers, body.encode()

    def handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body, fault, headers=None, timeout=None):
                timeout = timeout or gateway.client_timeout
                if fault == "gw_timeout":
                    time.sleep(timeout + 1.5)
                elif fault == "gw_late":
                    time.sleep(gateway.client_timeout * random.uniform(0.3, 0.8))
                elif fault == "gw_500":
                    status, body, headers = 500, {"error": "internal error"}, None
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for name, value in (headers or {}).items():
                        if name.lower() != "content-type":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/alipay/"):
                    params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    fault = gateway.draw(query=True)
                    self.answer(
                        200, gateway.alipay_query(params, fault), fault, timeout=15
                    )
                    return
                payload = json.loads(raw or b"{}")
                fault = gateway.draw()
                entry = gateway.perform(payload, fault)
                self.answer(200, {"status": entry["status"]}, fault)

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                if url.path.startswith(WECHAT_QUERY):
                    reference = unquote(url.path[len(WECHAT_QUERY) :])
                    fault = gateway.draw(query=True)
                    status, headers, body = gateway.wechatpay_query(reference, fault)
                    self.answer(status, body, fault, headers=headers, timeout=15)
                    return
                key = (parse_qs(url.query).get("key") or [""])[0]
                fault = gateway.draw(query=True)
                status = gateway.query(key, fault)
                self.answer(200, {"status": status}, fault)

        return Handler


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def prepare_database(args, template, database, config_path):
    """The run's database: a copy of ``template`` with the demo provider and
    the gateway module installed (and the project's addons updated to the
    working tree, unless ``--no-update``)."""
    drop(database)
    sh("createdb", "-T", template, database)
    filestore = Path(odoo.tools.config.filestore(template))
    shutil.rmtree(odoo.tools.config.filestore(database), ignore_errors=True)
    if filestore.is_dir():  # the copy's attachments point into it
        shutil.copytree(filestore, odoo.tools.config.filestore(database))
    update = (
        ["-u", "sales_closing,sales_closing_payments,sales_closing_reconcile"]
        if args.update
        else []
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            config_path,
            "-d",
            database,
            "-i",
            f"payment_demo,{GATEWAY_MODULE}",
            *update,
            "--stop-after-init",
            "--log-level=warn",
            "--no-http",
        ],
        check=True,
        env={k: v for k, v in os.environ.items() if k != "ODOO_QUEUE_JOB_CHANNELS"},
    )


def setup_company(env):
    company = env.company
    company.write(
        {
            "sales_closing_invoice_policy": "delivery",
            "sales_closing_invoice_post": True,
            "sales_closing_invoice_send": False,
            "sales_closing_capture_on_delivery": True,
        }
    )
    base = env.ref("payment.payment_provider_demo")
    base.write({"state": "test", "allow_tokenization": True, "capture_manually": False})
    capture = base.copy({"name": "Demo (manual capture)"})
    capture.write(
        {"state": "test", "allow_tokenization": True, "capture_manually": True}
    )
    return base, capture


def demo_token(env, provider, partner):
    return env["payment.token"].create(
        {
            "provider_id": provider.id,
            "payment_method_id": env.ref("payment_demo.payment_method_demo").id,
            "partner_id": partner.id,
            "payment_details": "4242",
            "provider_ref": f"{PREFIX}-{provider.id}-{partner.id}",
            "demo_simulated_state": "done",
        }
    )


def make_matching(env, args):
    sys.path.insert(0, str(HERE))
    import matching as base  # noqa: PLC0415 - the matching benchmark's set-up
    import matching_dataset as dataset  # noqa: PLC0415

    base.dataset = dataset
    lines, items, partner_accounts, _truth = dataset.generate(
        args.seed, args.lines, 2 * args.lines
    )
    currencies = base.setup_company(env)
    base.populate(env, lines, items, partner_accounts, currencies)
    env.flush_all()
    return len(lines)


def make_orders(env, count, captures, capture_provider):
    """``count`` orders delivered in full (to invoice) and ``captures``
    orders paid by an authorized demo payment, ready to deliver (their
    deliveries are validated during the run)."""
    partners = env["res.partner"].create(
        [{"name": f"{PREFIX} Customer {n}"} for n in range(max(10, count // 20))]
    )
    products = env["product.product"].create(
        [
            {
                "name": f"{PREFIX} Good {n}",
                "type": "consu",
                "invoice_policy": "delivery",
                "list_price": 10.0 + n,
            }
            for n in range(2)
        ]
    )
    to_capture = []
    total = count + captures
    for start in range(0, total, 200):
        size = min(200, total - start)
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": partners[(start + n) % len(partners)].id,
                    "client_order_ref": f"{PREFIX}-{start + n}",
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 2})
                        for product in products
                    ],
                }
                for n in range(size)
            ]
        )
        orders.action_confirm()
        for move in orders.picking_ids.move_ids:
            move.quantity = move.product_uom_qty
        orders.picking_ids.move_ids.picked = True
        for order in orders:
            if len(to_capture) < captures:
                to_capture.append(order)
        delivered = orders.filtered(lambda o: o not in to_capture)
        delivered.picking_ids.button_validate()
        env.flush_all()
    tokens = {}
    for order in to_capture:
        partner = order.partner_id
        if partner not in tokens:
            tokens[partner] = demo_token(env, capture_provider, partner)
        tx = env["payment.transaction"].create(
            {
                "provider_id": capture_provider.id,
                "payment_method_id": tokens[partner].payment_method_id.id,
                "reference": f"{PREFIX}-AUTH-{order.id}",
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": partner.id,
                "token_id": tokens[partner].id,
                "operation": "offline",
                "sale_order_ids": [Command.set(order.ids)],
            }
        )
        tx._send_payment_request()
        assert tx.state == "authorized", tx.state
    env.flush_all()
    return [order.picking_ids.id for order in to_capture]


def make_installments(env, count, provider):
    """Installment plans whose ``count`` lines (two a plan) are due."""
    term = env["account.payment.term"].create(
        {
            "name": f"{PREFIX} two installments",
            "line_ids": [
                Command.create(
                    {"value": "percent", "value_amount": 50.0, "nb_days": 0}
                ),
                Command.create(
                    {"value": "percent", "value_amount": 50.0, "nb_days": 5}
                ),
            ],
        }
    )
    plans_count = max(1, count // 2)
    partners = env["res.partner"].create(
        [{"name": f"{PREFIX} Plan customer {n}"} for n in range(plans_count)]
    )
    day = datetime.date.today() - datetime.timedelta(days=10)
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": day,
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": f"{PREFIX} installment goods",
                            "quantity": 1,
                            "price_unit": 100.0 + n,
                            "tax_ids": False,
                        }
                    )
                ],
            }
            for n, partner in enumerate(partners)
        ]
    )
    invoices.action_post()
    plans = env["sales.closing.installment.plan"].create(
        [
            {
                "plan_type": "installment",
                "invoice_id": invoice.id,
                "partner_id": invoice.partner_id.id,
                "currency_id": invoice.currency_id.id,
                "user_id": env.uid,
                "token_id": demo_token(env, provider, invoice.partner_id).id,
            }
            for invoice in invoices
        ]
    )
    for plan in plans:
        if not plan.line_ids:
            plan.action_compute_schedule()
    plans.action_start()
    env.flush_all()
    return len(plans.line_ids)


def make_periods(env, count):
    """``count`` past monthly periods whose packages queue jobs seal."""
    Period = env["sales.closing.period"]
    periods = Period
    today = datetime.date.today().replace(day=1)
    for n in range(count):
        day = today - datetime.timedelta(days=31 * (n + 2))
        periods |= Period._create_for(env.company, day, "month")
    return periods


def make_notifications(env, args):
    """The notifications to deliver, and the function that signs a
    delivery: [(item, sign)], each ``sign()`` giving the raw request."""
    import notifications  # noqa: PLC0415 - the notifications benchmark's pieces

    from odoo.addons.sales_closing_payments.engine import simulator  # noqa: PLC0415

    gateway_private, gateway_public = notifications.new_key_pair()
    merchant_private, _public = notifications.new_key_pair()
    forger_private, _public = notifications.new_key_pair()
    txs = notifications.prepare(
        env, args.notifications, PREFIX, gateway_public, merchant_private
    )
    options = argparse.Namespace(forgeries=0.1, duplicates=0.2)
    batch = notifications.build_notifications(
        txs, options, gateway_private, forger_private
    )

    def signer(item):
        kind, code, reference, data = item
        if code == "alipay":
            payload = notifications.notification_request(item)
            return lambda: payload
        headers, body = data
        key = forger_private if kind == "forged" else gateway_private

        def sign():
            # WeChat Pay signs each delivery (its timestamp must be recent)
            fresh = simulator.wechatpay_signed_headers(
                key, notifications.WECHAT_SERIAL, body
            )
            fresh["Content-Type"] = "application/json"
            return notifications.notification_request(
                (kind, code, reference, (fresh, body))
            )

        return sign

    amounts = {reference: amount for _code, reference, amount in txs}
    trades = {
        reference: amounts[reference]
        for kind, _code, reference, _data in batch
        if kind == "genuine"
    }
    return [(item, signer(item)) for item in batch], trades, gateway_private


# ---------------------------------------------------------------------------
# Traffic during the run
# ---------------------------------------------------------------------------


def send_raw(port, payload, timeout=20):
    """(status, body) of one raw HTTP request; (None, b'') without answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(payload)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return None, b""
    head, _sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    try:
        return int(head.split(b" ", 2)[1]), body
    except (IndexError, ValueError):
        return None, b""


class Notifier(threading.Thread):
    """Delivers the notifications as a gateway does: each until it is
    acknowledged, tried again after a failure (at most ``tries`` times),
    a few at a time, spread over the run."""

    def __init__(self, port_of, items, pace, dropped=(), tries=12, concurrency=3):
        super().__init__(daemon=True)
        self.port_of = port_of
        # the gateway gave up (or never sent) these: only a query finds them
        self.dropped = set(dropped)
        self.items = [
            (index, entry)
            for index, entry in enumerate(items)
            if entry[0][2] not in self.dropped
        ]
        self.pace = pace
        self.tries = tries
        self.concurrency = concurrency
        self.sent = {}  # index -> (first send time, acknowledged time or None)
        self.given_up = 0
        self.stop_event = threading.Event()

    def deliver(self, index, item, sign):
        kind, code, _reference, _data = item
        start = utcnow()
        for attempt in range(self.tries):
            if self.stop_event.is_set():
                break
            status, body = send_raw(self.port_of(), sign())
            if code == "alipay":
                acknowledged = status == 200 and body.strip() in (b"success", b"fail")
            else:
                acknowledged = status is not None and status < 500
            if acknowledged:
                self.sent[index] = (start, utcnow())
                return
            time.sleep(min(8, 0.5 * 2**attempt))
        self.sent[index] = (start, None)
        if kind != "forged":
            self.given_up += 1

    def run(self):
        queue = list(self.items)
        lock = threading.Lock()

        def worker():
            while not self.stop_event.is_set():
                with lock:
                    if not queue:
                        return
                    index, (item, sign) = queue.pop(0)
                self.deliver(index, item, sign)
                time.sleep(self.pace)

        threads = [
            threading.Thread(target=worker, daemon=True)
            for _n in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def jsonrpc(url, database, model, method, args):
    """``model.method(*args)`` as the administrator, over JSON-RPC."""
    response = requests.post(
        f"{url}/jsonrpc",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [database, SUPERUSER_ID + 1, "admin", model, method, args],
            },
        },
        timeout=60,
    )
    response.raise_for_status()
    body = response.json()
    if body.get("error"):
        raise RuntimeError(body["error"].get("data", {}).get("message"))
    return body.get("result")


class Desk(threading.Thread):
    """An accountant who, once the gateway's notifications are over, asks
    the gateway about the Alipay and WeChat Pay payments still waiting
    (Query Gateway on each: our clients' trade query), again after an
    error, until the gateway answers (paid, or no such trade)."""

    def __init__(self, url_of, database, tx_ids, tries=8):
        super().__init__(daemon=True)
        self.url_of = url_of
        self.database = database
        self.tx_ids = tx_ids
        self.tries = tries
        self.errors = collections.Counter()
        self.stop_event = threading.Event()

    def run(self):
        for tx_id in self.tx_ids:
            for attempt in range(self.tries):
                if self.stop_event.is_set():
                    return
                try:
                    jsonrpc(
                        self.url_of(),
                        self.database,
                        "payment.transaction",
                        "action_sales_closing_query_gateway",
                        [[tx_id]],
                    )
                    break
                except (requests.RequestException, RuntimeError, ValueError) as error:
                    if "NOT_EXIST" in str(error):
                        break  # the gateway has no such trade: nothing to do
                    self.errors[type(error).__name__] += 1
                    time.sleep(min(5, 0.5 * 2**attempt))


class Deliveries(threading.Thread):
    """A warehouse user validating deliveries over JSON-RPC (each capture
    at the gateway happens then), trying again when no answer came."""

    def __init__(self, url_of, database, picking_ids, pace, tries=10):
        super().__init__(daemon=True)
        self.url_of = url_of
        self.database = database
        self.picking_ids = picking_ids
        self.pace = pace
        self.tries = tries
        self.windows = {}
        self.failures = collections.Counter()
        self.stop_event = threading.Event()

    def call(self, model, method, args):
        return jsonrpc(self.url_of(), self.database, model, method, args)

    def run(self):
        for picking_id in self.picking_ids:
            start = utcnow()
            for attempt in range(self.tries):
                if self.stop_event.is_set():
                    return
                try:
                    state = self.call(
                        "stock.picking", "read", [[picking_id], ["state"]]
                    )
                    if state and state[0]["state"] == "done":
                        break
                    self.call("stock.picking", "button_validate", [[picking_id]])
                except (requests.RequestException, RuntimeError, ValueError) as error:
                    self.failures[type(error).__name__] += 1
                    time.sleep(min(5, 0.5 * 2**attempt))
            self.windows[picking_id] = (start, utcnow())
            time.sleep(self.pace)


def waiting(env):
    """The run's Alipay and WeChat Pay payments not confirmed."""
    env.cr.execute(
        """
        SELECT id FROM payment_transaction
         WHERE reference LIKE %s AND state NOT IN ('done', 'cancel', 'error')
         ORDER BY id
        """,
        [f"BN{PREFIX}-%"],
    )
    return [row[0] for row in env.cr.fetchall()]


def never_sent(env):
    """Due installment lines never sent to the gateway yet."""
    env.cr.execute(
        """
        SELECT count(*) FROM sales_closing_installment_plan_line l
          JOIN sales_closing_installment_plan p ON p.id = l.plan_id
         WHERE p.state = 'running' AND l.state = 'pending'
           AND l.next_attempt_date <= %s
        """,
        [datetime.date.today()],
    )
    return env.cr.fetchone()[0]


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


class Run:
    def __init__(self, args, workdir):
        self.args = args
        self.rng = random.Random(args.seed)
        self.database = f"{args.database}_run"
        self.workdir = workdir
        self.server = None
        self.gateway = None
        self.injected = collections.Counter()
        self.fault_times = collections.defaultdict(list)
        self.prefix = PREFIX
        self.desk = None
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.timeout

    # -- helpers ----------------------------------------------------------

    def cursor(self):
        return Registry(self.database).cursor()

    def env_call(self, function, attempts=5):
        """``function(env)`` in a transaction of its own, committed; tried
        again when the database cut the session (pg_terminate_backend).
        It never waits more than 20 s for a lock (the server's sessions may
        hold them), so that the run stays bounded and answers Ctrl-C."""
        for attempt in range(attempts):
            try:
                with self.cursor() as cr:
                    cr.execute("SET LOCAL lock_timeout = '20s'")
                    result = function(api.Environment(cr, SUPERUSER_ID, {}))
                    cr.commit()
                    return result
            except Exception as error:  # noqa: BLE001 - a cut session: again
                if attempt == attempts - 1:
                    raise
                log(f"  (orchestrator: {type(error).__name__}: {error}; again)")
                close(self.database)
                time.sleep(1)
        return None

    def left(self):
        return self.deadline - time.monotonic()

    def port(self):
        return self.server.port

    def url(self):
        return self.server.url

    # -- set-up -------------------------------------------------------------

    def setup(self):
        args = self.args
        log(
            f"database {self.database}: copy of {args.database}, with payment_demo "
            "and the gateway module"
        )
        prepare_database(args, args.database, self.database, args.config_path)
        self.gateway = Gateway(
            args.seed, args.gateway_faults, args.gateway_timeout
        ).start()
        start = time.monotonic()
        with self.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            base, capture = setup_company(env)
            self.counts = {}
            self.counts["lines"] = make_matching(env, args) if args.lines else 0
            log(f"  {self.counts['lines']} statement lines and their open items")
            self.capture_pickings = make_orders(
                env, args.orders, args.captures, capture
            )
            log(
                f"  {args.orders} delivered orders, {args.captures} to deliver "
                "and capture"
            )
            self.counts["installments"] = make_installments(
                env, args.installments, base
            )
            log(f"  {self.counts['installments']} due installments")
            self.periods = make_periods(env, args.packages).ids
            self.notifications = []
            if args.notifications:
                self.notifications, trades, private = make_notifications(env, args)
                self.gateway.trades.update(trades)
                self.gateway.private_key = private
                # our Alipay and WeChat Pay clients ask the run's gateway
                env["ir.config_parameter"].set_param(
                    "sales_closing_payments.alipay_sandbox_url",
                    f"{self.gateway.url}/alipay/gateway.do",
                )
                env.ref("sales_closing_payments.payment_provider_wechatpay").write(
                    {"wechatpay_sandbox_url": self.gateway.url}
                )
            log(f"  {len(self.notifications)} notifications to send")
            params = env["ir.config_parameter"]
            params.set_param("sales_closing_faults.gateway_url", self.gateway.url)
            params.set_param(
                "sales_closing_faults.gateway_timeout", str(args.gateway_timeout)
            )
            # links and the PDF reports' assets: the run's own server only
            params.set_param("web.base.url", self.odoo_server().url)
            params.set_param("web.base.url.freeze", "True")
            # the run's scheduled actions are started by the run (triggers)
            env["ir.cron"].search([]).write({"active": False})
            for xmlid in self.crons():
                env.ref(xmlid).write(
                    {"active": True, "nextcall": "2099-01-01 00:00:00"}
                )
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM queue_job")
            self.first_job = cr.fetchone()[0]
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM sales_closing_package")
            self.first_package = cr.fetchone()[0]
            cr.commit()
        close(self.database)
        log(f"data generated in {time.monotonic() - start:.0f} s")

    @staticmethod
    def crons():
        return (
            "sales_closing.ir_cron_sales_closing_invoice",
            "sales_closing_payments.ir_cron_installment_charge",
            "sales_closing_payments.ir_cron_check_authorizations",
            "payment.cron_post_process_payment_tx",
        )

    def odoo_server(self):
        if self.server is None:
            self.server = OdooServer(
                self.args.config,
                self.database,
                self.workdir,
                "faults",
                options={
                    "workers": "2",
                    # Odoo's default, as a deploy keeps it: with one, the
                    # post-processing of the payments (minutes of Odoo's
                    # payment creation, one a transaction) holds the only
                    # cron worker and the invoicing waits behind it
                    "max_cron_threads": str(self.args.cron_threads),
                    "server_wide_modules": "base,web,queue_job",
                    "limit_time_real": "900",
                    "limit_time_cpu": "900",
                    "limit_memory_soft": str(2 * 1024**3),
                    "limit_memory_hard": str(3 * 1024**3),
                    "log_level": "warn",
                    "log_handler": (
                        "odoo.service.server:INFO,"
                        "odoo.addons.queue_job.jobrunner.runner:INFO,"
                        # each scheduled action's run and its duration
                        "odoo.addons.base.models.ir_cron:INFO"
                    ),
                },
                queue_job={"channels": "root:1,root.sales_closing_matching:1"},
                extra_addons=[FAULT_ADDONS],
            )
        return self.server

    def start_server(self, warm=False):
        self.odoo_server().start(
            timeout=max(60, min(240, self.left())), warm_workers=2 if warm else 0
        )

    # -- work ---------------------------------------------------------------

    def trigger(self, xmlids=None):
        def run(env):
            for xmlid in xmlids or self.crons():
                env.ref(xmlid)._trigger()

        with contextlib.suppress(Exception):
            self.env_call(run, attempts=2)

    def start_work(self):
        args = self.args
        self.work_start = utcnow()
        if self.counts["lines"]:
            chunk = max(1, min(2000, -(-self.counts["lines"] // 4)))

            def match(env):
                return (
                    env["account.bank.statement.line"]
                    ._cron_sales_closing_match(chunk_size=chunk)
                    .ids
                )

            self.match_runs = self.env_call(match)
        else:
            self.match_runs = []

        def seal(env):
            packages = env["sales.closing.package"].sudo()
            for period in env["sales.closing.period"].browse(self.periods):
                packages.with_delay(
                    description=f"{PREFIX}: seal {period.name}"
                )._create_for_period(period)

        self.env_call(seal)
        self.trigger()
        duration = max(30, args.work_seconds)
        genuine = sorted(
            item[2] for item, _sign in self.notifications if item[0] == "genuine"
        )
        dropped = self.rng.sample(
            genuine, min(len(genuine), max(2, round(args.dropped * len(genuine))))
        )
        self.notifier = Notifier(
            self.port,
            self.notifications,
            dropped=dropped,
            pace=max(0.0, duration * 3 / max(1, len(self.notifications)) - 0.05),
        )
        self.notifier.start()
        self.deliveries = Deliveries(
            self.url,
            self.database,
            self.capture_pickings,
            pace=max(0.0, duration / max(1, len(self.capture_pickings)) - 0.3),
        )
        self.deliveries.start()

    # -- faults -------------------------------------------------------------

    def plan(self):
        args = self.args
        plan = (
            ["worker_kill"] * args.worker_kills
            + ["pg_terminate"] * args.pg_kills
            + ["server_kill"] * args.server_kills
        )
        self.rng.shuffle(plan)
        return plan

    def inject(self, kind):
        now = utcnow()
        if kind == "worker_kill":
            workers = self.server.workers()
            if not workers:
                return False
            pid = self.rng.choice(sorted(workers))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            log(f"fault: kill -9 of {workers[pid]} {pid}")
        elif kind == "server_kill":
            log("fault: kill -9 of the whole server")
            self.server.kill()
            time.sleep(self.rng.uniform(1, 3))
            self.start_server()
            log("  server restarted")
        elif kind == "pg_terminate":

            def terminate(env):
                env.cr.execute(
                    """
                    SELECT pid FROM pg_stat_activity
                     WHERE datname = current_database() AND pid != pg_backend_pid()
                       AND state IN ('active', 'idle in transaction')
                    """
                )
                pids = [row[0] for row in env.cr.fetchall()]
                chosen = self.rng.sample(pids, min(len(pids), 2))
                for pid in chosen:
                    env.cr.execute("SELECT pg_terminate_backend(%s)", [pid])
                return chosen

            chosen = self.env_call(terminate)
            if not chosen:
                return False
            log(f"fault: pg_terminate_backend of {len(chosen)} session(s)")
        self.injected[kind] += 1
        self.fault_times[kind].append(now)
        return True

    def work_left(self):
        def count(env):
            cr = env.cr
            cr.execute(
                "SELECT count(*) FROM queue_job WHERE state = ANY(%s)", [list(JOB_LEFT)]
            )
            jobs = cr.fetchone()[0]
            cr.execute(
                """
                SELECT count(*) FROM sales_closing_installment_plan_line l
                  JOIN sales_closing_installment_plan p ON p.id = l.plan_id
                 WHERE p.state = 'running' AND (l.state = 'processing'
                    OR (l.state IN ('pending', 'retrying')
                        AND l.next_attempt_date <= %s))
                """,
                [datetime.date.today()],
            )
            installments = cr.fetchone()[0]
            orders = len(
                env["sales.closing.invoicing"]._candidates(limit=100000, lock=False)
            )
            return jobs, installments, orders

        return self.env_call(count)

    def faults_phase(self):
        plan = self.plan()
        args = self.args
        interval = args.work_seconds / max(1, len(plan))
        log(f"faults: {len(plan)} planned, one every {interval:.1f} s or so")
        next_trigger = 0
        tries = 0
        while plan and self.left() > 0 and tries < 10 * len(plan) + 100:
            tries += 1
            time.sleep(self.rng.uniform(0.5, 1.5) * interval)
            if time.monotonic() > next_trigger:
                self.trigger()
                next_trigger = time.monotonic() + 5
            if not self.server.alive():
                self.start_server()
            if self.inject(plan[0]):
                plan.pop(0)
        if plan:
            log(f"WARNING: {len(plan)} faults not injected (time out)")

    def drain(self):
        """Process faults off; the scheduled actions run until nothing is
        left (bounded by ``--timeout`` and 2,000 rounds of about 3 s: the
        cron workers of the full run post-process the payments and invoice
        the orders for longer than the 20 minutes of the former 400 rounds).
        The gateway keeps its faults until every due installment was sent
        once (the installments' scheduled action may not have run yet while
        the processes were killed), then answers every request."""
        log("process faults off: draining")
        drain_start = time.monotonic()
        if not self.server.alive():
            self.start_server()
        rounds = 0
        while self.left() > 0 and rounds < 2000:
            rounds += 1
            self.trigger()
            time.sleep(3)
            if self.gateway.faulty and not self.env_call(never_sent):
                log("  every installment was sent once: gateway faults off")
                self.gateway.faulty = False
            jobs, installments, orders = self.work_left()
            if self.desk is None and not self.notifier.is_alive():
                self.desk = Desk(self.url, self.database, self.env_call(waiting))
                self.desk.start()
            busy = (
                self.notifier.is_alive()
                or self.deliveries.is_alive()
                or self.desk is None
                or self.desk.is_alive()
            )
            if rounds % 10 == 1:
                log(
                    f"  left: {jobs} jobs, {installments} installments, "
                    f"{orders} orders, "
                    f"senders {'busy' if busy else 'done'}"
                )
            if not (jobs or installments or orders or busy):
                break
        log(f"  drained in {time.monotonic() - drain_start:.0f} s ({rounds} rounds)")
        # the following days' runs: retried installments are charged again
        for days in (1, 2, 4, 8):
            day = datetime.date.today() + datetime.timedelta(days=days)

            def charge(env, day=day):
                env["sales.closing.installment.plan.line"]._charge_due_lines(
                    today=day, limit=100000, commit=True
                )

            with contextlib.suppress(Exception):
                self.env_call(charge, attempts=2)
        self.gateway.faulty = False
        self.notifier.stop_event.set()
        self.deliveries.stop_event.set()
        if self.desk is not None:
            self.desk.stop_event.set()

    def execute(self):
        self.setup()
        log(
            f"server: 2 HTTP workers, {self.args.cron_threads} cron worker(s), "
            "queue_job's runner "
            f"(log in {self.workdir})"
        )
        self.deadline = time.monotonic() + self.args.timeout
        self.start_server(warm=True)
        self.start_work()
        self.faults_phase()
        self.drain()
        self.server.stop()
        close(self.database)
        return self.check()

    def cleanup(self, success):
        if self.server is not None:
            self.server.stop()
        if self.gateway is not None:
            with contextlib.suppress(Exception):
                self.gateway.stop()
        if not self.args.keep:
            drop(self.database)
            shutil.rmtree(
                odoo.tools.config.filestore(self.database), ignore_errors=True
            )
        if success and not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            log(f"the server's log and configuration are kept in {self.workdir}")

    # -- checks -------------------------------------------------------------

    def check(self):
        from faults_checks import run_checks  # noqa: PLC0415 - next to this file

        return run_checks(self)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True, help="the template database")
    parser.add_argument("--short", action="store_true", help="small data, a few faults")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--lines", type=int)
    parser.add_argument("--orders", type=int)
    parser.add_argument("--captures", type=int)
    parser.add_argument("--installments", type=int)
    parser.add_argument("--notifications", type=int)
    parser.add_argument("--packages", type=int)
    parser.add_argument("--worker-kills", type=int)
    parser.add_argument("--server-kills", type=int)
    parser.add_argument("--pg-kills", type=int)
    parser.add_argument(
        "--cron-threads",
        type=int,
        default=2,
        help="the server's max_cron_threads (Odoo's default: 2)",
    )
    parser.add_argument("--gateway-faults", type=float, default=0.3)
    parser.add_argument("--gateway-timeout", type=float, default=3.0)
    parser.add_argument(
        "--dropped",
        type=float,
        default=0.05,
        help="share of the genuine notifications the gateway never delivers",
    )
    parser.add_argument("--work-seconds", type=float)
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--keep", action="store_true", help="keep the run's database")
    parser.add_argument(
        "--no-update",
        dest="update",
        action="store_false",
        help="the template database is up to date: do not update the addons",
    )
    args = parser.parse_args(argv)
    full = {
        "lines": 20000,
        "orders": 2000,
        "captures": 200,
        "installments": 500,
        "notifications": 2000,
        "packages": 3,
        "worker_kills": 20,
        "server_kills": 2,
        "pg_kills": 4,
        "work_seconds": 300,
        "timeout": 3600,
    }
    short = {
        "lines": 120,
        "orders": 20,
        "captures": 8,
        "installments": 20,
        "notifications": 60,
        "packages": 1,
        "worker_kills": 3,
        "server_kills": 1,
        "pg_kills": 1,
        "work_seconds": 40,
        "timeout": 420,
    }
    for name, value in (short if args.short else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="faults_"))
    args.config_path = str(workdir / "prepare.conf")
    write_prepare_config(args.config, args.config_path)
    odoo.tools.config.parse_config(
        ["-c", args.config_path, "-d", args.database, "--log-level=warn"]
    )

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    run = Run(args, workdir)
    status = 1
    try:
        status = run.execute()
    finally:
        run.cleanup(status == 0)
    sys.exit(status)


def write_prepare_config(config, path):
    """The project's configuration with the gateway module's folder added."""
    import configparser  # noqa: PLC0415

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    options = parser["options"]
    options["addons_path"] = ",".join(
        [options.get("addons_path", str(HERE.parent.parent)), str(FAULT_ADDONS)]
    )
    with open(path, "w") as handle:
        parser.write(handle)


if __name__ == "__main__":
    main()
