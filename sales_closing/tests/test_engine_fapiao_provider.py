"""The provider clients against a loopback simulator of Nuonuo's open
platform (an HTTP server on 127.0.0.1; no database)."""

import base64
import hashlib
import hmac
import json
import threading
import time
import unittest
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo.addons.sales_closing.engine.fapiao import nuonuo, provider

from .fapiao_samples import make_template
from .test_engine_fapiao import invoice, line

APP_KEY, APP_SECRET, TOKEN = "app-key", "app-secret", "token"


class NuonuoSimulator:
    """Nuonuo's services endpoint as published: signed requests, E0000
    answers, orders kept by orderNo, red-letter forms by billId; a partial
    form's detail lines checked against the blue order's lines; forms
    buyers entered at the bureau reach it only when downloaded
    (``refreshInvoiceRedConfirm``)."""

    def __init__(self):
        self.orders = {}
        self.forms = {}
        self.bureau_forms = {}  # entered by buyers, not yet downloaded
        self.calls = []
        self.payloads = []
        self.delay_after_issue = 0
        # (total with tax, tax) the platform answers for every order instead
        # of its own sums: an e-fapiao differing from the invoice sent
        self.issued_amounts = None
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
                    simulator.payloads.append((method, json.loads(body)))
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

    def buyer_form(self, bill_id, blue_number, untaxed, tax, day="2026-01-20"):
        """A buyer enters a form at the bureau (03 购方录入待销方确认)."""
        self.bureau_forms[bill_id] = {
            "billId": bill_id,
            "billNo": f"B{bill_id}",
            "billUuid": f"uuid-{bill_id}",
            "billStatus": "03",
            "applySource": 1,
            "redReason": "1",
            "blueElecInvoiceNumber": blue_number,
            "taxExcludedAmount": untaxed,
            "taxAmount": tax,
            "buyerTaxNo": "91110108MA01ABCDEN",
            "buyerName": "Buyer",
            "billTime": f"{day} 10:00:00",
        }

    @staticmethod
    def untaxed(detail):
        rate = Decimal(detail["taxRate"])
        if detail.get("taxExcludedAmount"):
            return Decimal(detail["taxExcludedAmount"])
        return (Decimal(detail["taxIncludedAmount"]) / (1 + rate)).quantize(
            Decimal("0.01")
        )

    def check_red_detail(self, number, detail):
        """The published rules of a partial form's lines: the refusal's
        message, or None."""
        blue = next(
            (e["order"] for e in self.orders.values() if e["number"] == number), None
        )
        if blue is None:
            return "蓝字发票不存在"
        lines = blue["invoiceDetail"]
        seen = set()
        for red in detail:
            index = int(red["blueDetailIndex"])
            if index in seen or not 1 <= index <= len(lines):
                return f"明细序号{index}有误"
            seen.add(index)
            line = lines[index - 1]
            if line.get("invoiceLineProperty") == "1":
                return f"明细序号{index}是折扣行"
            if (red["goodsCode"], red["taxRate"]) != (
                line["goodsCode"],
                line["taxRate"],
            ):
                return f"明细序号{index}商品编码或税率与蓝票不一致"
            amount, tax = Decimal(red["taxExcludedAmount"]), Decimal(red["taxAmount"])
            if (
                amount >= 0
                or tax > 0
                or min(amount.as_tuple().exponent, tax.as_tuple().exponent) != -2
            ):
                return f"明细序号{index}金额、税额须为负数，保留两位小数"
            blue_amount = self.untaxed(line)
            if index < len(lines) and lines[index].get("invoiceLineProperty") == "1":
                blue_amount += self.untaxed(lines[index])  # its discount
            if -amount > blue_amount:
                return f"明细序号{index}冲红金额超过蓝票"
            if "num" in red:
                num, price = Decimal(red["num"]), Decimal(red["taxExcludedPrice"])
                if num >= 0 or -num > Decimal(line["num"]) or price <= 0:
                    return f"明细序号{index}数量或单价有误"
                if abs(price * -num + amount) > Decimal("0.01"):
                    return f"明细序号{index}单价×数量与金额不符"
        return None

    def issued(self, entry):
        """queryInvoiceResult's answer for an order issued."""
        # the platform's tax: per line, rounded to the fen
        untaxed, tax = Decimal("100.00"), Decimal("13.00")
        if entry["order"].get("invoiceDetail"):
            untaxed = tax = Decimal("0.00")
        for detail in entry["order"].get("invoiceDetail", ()):
            amount = self.untaxed(detail)
            untaxed += amount
            tax += (amount * Decimal(detail["taxRate"])).quantize(Decimal("0.01"))
        total, tax_text = self.issued_amounts or (str(untaxed + tax), str(tax))
        return {
            "status": "2",
            "serialNo": f"S{entry['number']}",
            "orderNo": entry["order"]["orderNo"],
            "allElectronicInvoiceNumber": entry["number"],
            "invoiceTime": 1768471200000,  # 2026-01-15 10:00 UTC
            "orderAmount": total,
            "taxAmount": tax_text,
            "pdfUrl": "http://127.0.0.1/fapiao.pdf",
        }

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
            return {**ok, "result": [self.issued(entry) for entry in found]}
        if method == nuonuo.SAVE_RED:
            form = {
                "billId": payload["billId"],
                "billNo": f"RED{len(self.forms) + 1}",
                "billStatus": "02",
                "applySource": int(payload["applySource"]),
                "redReason": payload["redReason"],
                "blueElecInvoiceNumber": payload["blueElecInvoiceNumber"],
            }
            if payload.get("detail"):  # 部分冲红
                refusal = self.check_red_detail(
                    payload["blueElecInvoiceNumber"], payload["detail"]
                )
                if refusal:
                    return {"code": "E9999", "describe": refusal}
                form["detail"] = payload["detail"]
                form["taxExcludedAmount"] = str(
                    sum(Decimal(d["taxExcludedAmount"]) for d in payload["detail"])
                )
                form["taxAmount"] = str(
                    sum(Decimal(d["taxAmount"]) for d in payload["detail"])
                )
            self.forms[payload["billId"]] = form
            return {**ok, "result": payload["billId"]}
        if method == nuonuo.REFRESH_RED:
            start = date.fromisoformat(payload["startTime"])
            end = date.fromisoformat(payload["endTime"])
            for bill_id, form in list(self.bureau_forms.items()):
                if start <= date.fromisoformat(form["billTime"][:10]) <= end:
                    self.forms[bill_id] = self.bureau_forms.pop(bill_id)
            return ok
        if method == nuonuo.QUERY_RED:
            if payload.get("billId"):
                form = self.forms.get(payload["billId"])
                return {**ok, "result": [form] if form else []}
            start = payload["billTimeStart"]
            end = payload["billTimeEnd"]
            found = [
                form
                for form in self.forms.values()
                if form.get("billTime", "")[:10] >= start
                and form.get("billTime", "")[:10] <= end
                and form["billStatus"] == payload.get("billStatus", form["billStatus"])
            ]
            size, page = int(payload["pageSize"]), int(payload["pageNo"])
            return {
                **ok,
                "result": {
                    "total": len(found),
                    "list": found[(page - 1) * size : page * size],
                },
            }
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

    def test_partial_red_form_detail_numbered_as_on_the_blue(self):
        """The blue's discounted widget is line 1 (its discount line 2), the
        gadget line 3; the partial form names line 3 only, negative."""
        blue = invoice(
            "INV/2",
            "SCFP000000000002",
            lines=[
                line("Widget", 2, 50, 90, 0.13),
                line("Gadget", 4, 25, 100, 0.06, code="3040201000000000000"),
            ],
        )
        self.assertEqual(nuonuo.blue_detail_indexes(blue), [1, 3])
        self.assertEqual(provider.issue_once(self.client, blue)["state"], "pending")
        number = self.client.query("SCFP000000000002")["number"]
        form = {
            "form_id": "RED-9",
            "blue_number": number,
            "reason": "02",
            "type": "02",
            "lines": [
                {
                    "index": 3,
                    "name": "Gadget",
                    "tax_code": "3040201000000000000",
                    "uom": "件",
                    "rate": 0.06,
                    "quantity": 1,
                    "amount": 25.0,
                    "tax": 1.5,
                }
            ],
        }
        self.client.request_red_form(form)
        sent = dict(self.simulator.payloads)[nuonuo.SAVE_RED]["detail"]
        self.assertEqual(
            sent,
            [
                {
                    "blueDetailIndex": "3",
                    "goodsName": "Gadget",
                    "goodsCode": "3040201000000000000",
                    "specType": "",
                    "unit": "件",
                    "taxRate": "0.06",
                    "taxExcludedAmount": "-25.00",
                    "taxAmount": "-1.50",
                    "num": "-1",
                    "taxExcludedPrice": "25",
                }
            ],
        )
        self.assertEqual(self.simulator.forms["RED-9"]["taxExcludedAmount"], "-25.00")
        # the discount line's number, or more than the blue line: refused
        for index, quantity, amount in ((2, 1, 10.0), (1, 3, 135.0), (3, 1, 200.0)):
            form["form_id"] = f"RED-{index}{quantity}"
            form["lines"][0].update(
                index=index, quantity=quantity, amount=amount, tax=0.0
            )
            with self.assertRaises(provider.ProviderError):
                self.client.request_red_form(form)
        # a sales allowance: amounts only, no quantity or price
        detail = nuonuo.red_detail({**form["lines"][0], "quantity": 0})
        self.assertNotIn("num", detail)
        self.assertNotIn("taxExcludedPrice", detail)

    def test_buyer_forms_downloaded_then_listed_by_page(self):
        for n in range(53):
            self.simulator.buyer_form(
                f"B{n}", "26312000000000000001", "-10.00", "-1.30"
            )
        self.simulator.buyer_form(
            "OLD", "26312000000000000001", "-1.00", "-0.13", "2025-12-01"
        )
        forms = self.client.list_buyer_red_forms(date(2026, 1, 14), date(2026, 1, 21))
        self.assertEqual(len(forms), 53)
        methods = [method for method, _payload in self.simulator.payloads]
        self.assertEqual(methods, [nuonuo.REFRESH_RED] + [nuonuo.QUERY_RED] * 2)
        queries = [p for m, p in self.simulator.payloads if m == nuonuo.QUERY_RED]
        self.assertEqual([q["pageNo"] for q in queries], ["1", "2"])
        self.assertEqual(
            {(q["identity"], q["billStatus"]) for q in queries}, {("0", "03")}
        )
        first = forms[0]
        self.assertEqual(
            (first["form_id"], first["entered_by"], first["bureau_state"]),
            ("B0", "buyer", "03"),
        )
        self.assertEqual(first["reason"], "02")  # Nuonuo's 1 销货退回
        self.assertEqual(
            (first["amount_untaxed"], first["amount_tax"]),
            (Decimal("-10.00"), Decimal("-1.30")),
        )
        self.assertIn("OLD", self.simulator.bureau_forms)  # out of the window


class TestFileProvider(unittest.TestCase):
    def test_file_client_exports_and_never_answers_queries(self):
        client = provider.FileClient(make_template("20251101"))
        result = client.issue(invoice("INV/1", "SCFP000000000001"))
        self.assertEqual((result["state"], result["version"]), ("exported", "20251101"))
        self.assertTrue(result["workbook"].startswith(b"PK"))
        self.assertEqual(client.query("SCFP000000000001")["state"], "unknown")
        self.assertTrue(client.request_red_form({"form_id": 1})["manual"])
