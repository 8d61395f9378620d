"""The provider clients against a loopback simulator of Nuonuo's open
platform (an HTTP server on 127.0.0.1; no database)."""

import base64
import hashlib
import hmac
import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo.addons.sales_closing.engine.fapiao import nuonuo, provider

from .fapiao_samples import make_template
from .test_engine_fapiao import invoice, line

APP_KEY, APP_SECRET, TOKEN = "app-key", "app-secret", "token"


class NuonuoSimulator:
    """Nuonuo's services endpoint as published: signed requests, E0000
    answers, orders kept by orderNo, red-letter forms by billId."""

    def __init__(self):
        self.orders = {}
        self.forms = {}
        self.calls = []
        self.delay_after_issue = 0
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length).decode()
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                expected = nuonuo.sign(
                    APP_SECRET,
                    query.get("appkey", ""),
                    query.get("senid", ""),
                    query.get("nonce", ""),
                    query.get("timestamp", ""),
                    body,
                    f"http://127.0.0.1{urlsplit(self.path).path}",
                )
                method = self.headers.get("method")
                simulator.calls.append(method)
                if (
                    self.headers.get("X-Nuonuo-Sign") != expected
                    or self.headers.get("accessToken") != TOKEN
                    or len(query.get("senid", "")) != 32
                    or len(query.get("nonce", "")) != 8
                ):
                    answer = {"code": "070301", "describe": "签名错误"}
                else:
                    answer = simulator.answer(method, json.loads(body))
                if method == nuonuo.ISSUE and simulator.delay_after_issue:
                    time.sleep(simulator.delay_after_issue)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except ConnectionError:  # the client gave up (timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/open/v1/services"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method, payload):
        ok = {"code": "E0000", "describe": "成功"}
        if method == nuonuo.ISSUE:
            order = payload["order"]
            if order["orderNo"] in self.orders:
                return {"code": "E9106", "describe": "订单编号不能重复"}
            number = f"2631200000{len(self.orders) + 1:010d}"
            self.orders[order["orderNo"]] = {"order": order, "number": number}
            return {**ok, "result": {"invoiceSerialNum": f"S{number}"}}
        if method == nuonuo.QUERY:
            found = [self.orders[n] for n in payload["orderNos"] if n in self.orders]
            return {
                **ok,
                "result": [
                    {
                        "status": "2",
                        "serialNo": f"S{entry['number']}",
                        "orderNo": entry["order"]["orderNo"],
                        "allElectronicInvoiceNumber": entry["number"],
                        "invoiceTime": 1768471200000,  # 2026-01-15 10:00 UTC
                        "orderAmount": "113.00",
                        "taxAmount": "13.00",
                        "pdfUrl": "http://127.0.0.1/fapiao.pdf",
                    }
                    for entry in found
                ],
            }
        if method == nuonuo.SAVE_RED:
            self.forms[payload["billId"]] = {
                "billId": payload["billId"],
                "billNo": f"RED{len(self.forms) + 1}",
                "billStatus": "02",
                "redReason": payload["redReason"],
                "blueElecInvoiceNumber": payload["blueElecInvoiceNumber"],
            }
            return {**ok, "result": payload["billId"]}
        if method == nuonuo.QUERY_RED:
            form = self.forms.get(payload["billId"])
            return {**ok, "result": [form] if form else []}
        if method == nuonuo.CONFIRM_RED:
            form = self.forms[payload["billId"]]
            form["billStatus"] = "04" if payload["confirmAgreement"] == "1" else "06"
            return ok
        if method == nuonuo.REVOKE_RED:
            self.forms[payload["billId"]]["billStatus"] = "08"
            return ok
        return {"code": "E9999", "describe": "unknown method"}


class TestNuonuoProvider(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.simulator = NuonuoSimulator()
        self.addCleanup(self.simulator.stop)
        self.client = nuonuo.NuonuoClient(
            APP_KEY,
            APP_SECRET,
            TOKEN,
            url=self.simulator.url,
            timeout=2,
            seller={"vat": "91310115MA1K4ABC2X"},
        )
        self.invoice = invoice(
            "INV/1",
            "SCFP000000000001",
            lines=[line("Widget", 2, 50, 90, 0.13)],  # 100 less 10
        )

    def test_sign_published_string(self):
        # base64(HMAC-SHA1(secret, a=services&l=v1&p=open&k=..&i=..&n=..&t=..&f=body))
        message = b"a=services&l=v1&p=open&k=k&i=" + b"i" * 32
        message += b"&n=12345678&t=1700000000&f={}"
        expected = base64.b64encode(
            hmac.new(b"s", message, hashlib.sha1).digest()
        ).decode()
        self.assertEqual(
            nuonuo.sign("s", "k", "i" * 32, "12345678", "1700000000", "{}"), expected
        )

    def test_issue_and_query(self):
        result = provider.issue_once(self.client, self.invoice)
        self.assertEqual(result["state"], "pending")
        order = self.simulator.orders["SCFP000000000001"]["order"]
        self.assertEqual(order["invoiceLine"], "pc")
        self.assertEqual(order["buyerTaxNum"], self.invoice["buyer"]["vat"])
        details = order["invoiceDetail"]
        self.assertEqual(
            [(d["invoiceLineProperty"], d["taxExcludedAmount"]) for d in details],
            [("2", "100.00"), ("1", "-10.00")],
        )
        self.assertEqual(details[0]["taxRate"], "0.13")
        found = self.client.query("SCFP000000000001")
        self.assertEqual(found["state"], "issued")
        self.assertEqual(found["number"], "26312000000000000001")
        self.assertEqual(str(found["date"]), "2026-01-15")
        self.assertEqual(self.client.query("SCFP000000000999")["state"], "unknown")

    def test_timeout_after_issuing_is_queried_not_reissued(self):
        self.simulator.delay_after_issue = 1.5
        self.client.timeout = 0.5
        result = provider.issue_once(self.client, self.invoice)
        # the platform received it: the query finds it, no second request
        self.assertEqual(result["state"], "issued")
        self.assertEqual(result["number"], "26312000000000000001")
        self.assertEqual(self.simulator.calls, [nuonuo.ISSUE, nuonuo.QUERY])
        self.assertEqual(len(self.simulator.orders), 1)
        # a later retry of an invoice sent before: query first, never issue
        self.simulator.delay_after_issue = 0
        again = provider.issue_once(self.client, self.invoice, sent_before=True)
        self.assertEqual(again["number"], "26312000000000000001")
        self.assertEqual(self.simulator.calls.count(nuonuo.ISSUE), 1)

    def test_sent_before_but_never_received_is_issued(self):
        result = provider.issue_once(self.client, self.invoice, sent_before=True)
        self.assertEqual(result["state"], "pending")
        self.assertEqual(self.simulator.calls, [nuonuo.QUERY, nuonuo.ISSUE])

    def test_unanswered_query_is_sent_not_reissued(self):
        """No answer to the issue call nor to the query: 'sent', to be
        queried later; the invoice is not issued a second time."""
        self.client.url = "http://127.0.0.1:9/open/v1/services"  # nothing listens
        result = provider.issue_once(self.client, self.invoice)
        self.assertEqual(result["state"], "sent")

    def test_bad_signature_refused(self):
        self.client.app_secret = "wrong"
        result = provider.issue_once(self.client, self.invoice)
        self.assertEqual((result["state"], result["code"]), ("failed", "070301"))
        self.assertFalse(self.simulator.orders)

    def test_red_form(self):
        form = {
            "form_id": "RED-7",
            "blue_number": "26312000000000000001",
            "reason": "02",
            "type": "01",
            "buyer_vat": "91110108MA01ABCDEN",
            "buyer_name": "Buyer",
        }
        self.assertEqual(self.client.request_red_form(form)["form_id"], "RED-7")
        # the bureau's 02 销货退回 is Nuonuo's 1
        self.assertEqual(self.simulator.forms["RED-7"]["redReason"], "1")
        state = self.client.query_red_form("RED-7")
        self.assertEqual((state["bureau_state"], state["form_number"]), ("02", "RED1"))
        self.assertEqual(self.client.confirm_red_form("RED-7")["bureau_state"], "04")
        self.assertEqual(self.client.revoke_red_form("RED-7")["bureau_state"], "08")
        self.assertFalse(self.client.query_red_form("NONE")["bureau_state"])


class TestFileProvider(unittest.TestCase):
    def test_file_client_exports_and_never_answers_queries(self):
        client = provider.FileClient(make_template("20251101"))
        result = client.issue(invoice("INV/1", "SCFP000000000001"))
        self.assertEqual((result["state"], result["version"]), ("exported", "20251101"))
        self.assertTrue(result["workbook"].startswith(b"PK"))
        self.assertEqual(client.query("SCFP000000000001")["state"], "unknown")
        self.assertTrue(client.request_red_form({"form_id": 1})["manual"])
