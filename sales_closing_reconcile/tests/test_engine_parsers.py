import datetime
import io
import os
import unittest
from decimal import Decimal

from odoo.addons.sales_closing_reconcile.engine import parsers
from odoo.addons.sales_closing_reconcile.engine.parsers import ParseError


def _data(name):
    with open(os.path.join(os.path.dirname(__file__), "data", name), "rb") as handle:
        return handle.read()


def _replace(data, old, new, encoding="utf-8"):
    """Return ``data`` with one text occurrence replaced, same encoding."""
    text = data.decode(encoding)
    assert old in text, old
    return text.replace(old, new, 1).encode(encoding)


class TestAlipay(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.data = _data("alipay_account_bill.csv")

    def test_detect_and_parse_sample(self):
        self.assertEqual(parsers.detect_format(self.data), "alipay")
        rows = parsers.parse(self.data)
        self.assertEqual([r.kind for r in rows], ["payment", "fee", "payout"])
        pay, fee, payout = rows
        self.assertEqual(pay.line_no, 6)
        self.assertEqual(pay.date, datetime.date(2026, 9, 2))
        self.assertEqual(pay.amount, Decimal("560.00"))
        self.assertEqual(pay.order_ref, "S00045")
        self.assertEqual(pay.transaction_id, "2026090222001456785500001111")
        self.assertEqual(pay.currency, "CNY")
        self.assertEqual(pay.label, "货款")
        self.assertNotIn("\t", pay.raw["商户订单号"])
        self.assertEqual(
            (fee.amount, fee.fee, fee.gross),
            (Decimal("-3.36"), Decimal("3.36"), Decimal("0")),
        )
        self.assertEqual(payout.amount, Decimal("-500.00"))

    def test_bad_amount_names_line(self):
        broken = _replace(self.data, "560.00\t,\t,560.00", "56O.00\t,\t,560.00", "gbk")
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_alipay(broken)
        self.assertEqual(ctx.exception.line_no, 6)
        self.assertIn("收入金额", str(ctx.exception))
        self.assertIn("Line 6", str(ctx.exception))

    def test_bad_date_names_line(self):
        broken = _replace(
            self.data, "2026-09-15 17:30:00", "2026-13-15 17:30:00", "gbk"
        )
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_alipay(broken)
        self.assertEqual(ctx.exception.line_no, 8)
        self.assertIn("发生时间", ctx.exception.message)

    def test_truncated_row(self):
        text = self.data.decode("gbk")
        lines = text.split("\n")
        lines[6] = lines[6][:60]
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_alipay("\n".join(lines).encode("gbk"))
        self.assertEqual(ctx.exception.line_no, 7)


class TestWechat(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.data = _data("wechatpay_trade_bill.csv")

    def test_detect_and_parse_sample(self):
        self.assertEqual(parsers.detect_format(self.data), "wechat")
        rows = parsers.parse(self.data)
        self.assertEqual(len(rows), 1, "summary block must not become rows")
        row = rows[0]
        self.assertEqual(row.date, datetime.date(2026, 9, 3))
        self.assertEqual(row.gross, Decimal("88.00"))
        self.assertEqual(row.fee, Decimal("0.53"))
        self.assertEqual(row.amount, Decimal("87.47"))
        self.assertEqual(row.order_ref, "S00051")
        self.assertEqual(row.transaction_id, "4200009876202609031111111111")
        self.assertEqual(row.kind, "payment")
        self.assertFalse(row.order_ref.startswith("`"))

    def test_refund_row(self):
        text = self.data.decode("utf-8-sig")
        header, row = text.split("\n")[:2]
        refund = (
            row.replace("`SUCCESS", "`REFUND")
            .replace("`0.00,`0.00,`,`,`货款", "`30.00,`0.00,`ORIGINAL,`SUCCESS,`货款")
            .replace("`0.53000", "`-0.18000")
        )
        rows = parsers.parse_wechat(
            ("\ufeff" + header + "\n" + row + "\n" + refund + "\n").encode()
        )
        self.assertEqual(rows[1].kind, "refund")
        self.assertEqual(rows[1].gross, Decimal("-30.00"))
        self.assertEqual(rows[1].amount, Decimal("-29.82"))

    def test_bad_amount_names_line(self):
        broken = _replace(self.data, "`88.00,`0.00,`0", "`8x.00,`0.00,`0", "utf-8-sig")
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_wechat(broken)
        self.assertEqual(ctx.exception.line_no, 2)
        self.assertIn("应结订单金额", ctx.exception.message)

    def test_bad_date_names_line(self):
        broken = _replace(self.data, "`2026-09-03 14:22:05", "`03/09/2026", "utf-8-sig")
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_wechat(broken)
        self.assertEqual(ctx.exception.line_no, 2)
        self.assertIn("交易时间", ctx.exception.message)

    def test_truncated_row(self):
        text = self.data.decode("utf-8-sig")
        lines = text.split("\n")
        lines[1] = lines[1][:80]
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_wechat("\n".join(lines).encode())
        self.assertEqual(ctx.exception.line_no, 2)


class TestStripe(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.data = _data("stripe_payout_reconciliation.csv")

    def test_detect_and_parse_sample(self):
        self.assertEqual(parsers.detect_format(self.data), "stripe")
        rows = parsers.parse(self.data)
        self.assertEqual([r.kind for r in rows], ["payment", "payment", "refund"])
        first = rows[0]
        self.assertEqual(
            (first.gross, first.fee, first.net, first.amount),
            (Decimal("120.00"), Decimal("3.78"), Decimal("116.22"), Decimal("116.22")),
        )
        self.assertEqual(first.currency, "EUR")
        self.assertEqual(first.payout_ref, "po_1QxAbc2eZvKYlo2C0a1b2c3d")
        self.assertEqual(first.order_ref, "S00060-1")
        self.assertEqual(first.payer_name, "Anna Schmidt")
        self.assertEqual(rows[2].amount, Decimal("-20.00"))
        self.assertEqual(sum(r.amount for r in rows), Decimal("140.14"))

    def test_inconsistent_net_names_line(self):
        broken = _replace(self.data, "45.50,1.58,43.92", "45.50,1.58,43.29")
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_stripe(broken)
        self.assertEqual(ctx.exception.line_no, 3)

    def test_bad_amount_and_date(self):
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_stripe(
                _replace(self.data, "-20.00,0.00,-20.00", "-20.00,abc,-20.00")
            )
        self.assertEqual(ctx.exception.line_no, 4)
        self.assertIn("fee", ctx.exception.message)
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_stripe(
                _replace(self.data, "2026-09-06 15:00:01", "yesterday")
            )
        self.assertEqual(ctx.exception.line_no, 3)

    def test_truncated_row(self):
        lines = self.data.decode().split("\n")
        lines[2] = ",".join(lines[2].split(",")[:8])
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_stripe("\n".join(lines).encode())
        self.assertEqual(ctx.exception.line_no, 3)


class TestPaypal(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.data = _data("paypal_activity.csv")

    def test_detect_and_parse_sample(self):
        self.assertEqual(parsers.detect_format(self.data), "paypal")
        rows = parsers.parse(self.data)
        self.assertEqual([r.kind for r in rows], ["payment", "other", "payout"])
        pay = rows[0]
        self.assertEqual(pay.date, datetime.date(2026, 9, 4))
        self.assertEqual(
            (pay.gross, pay.fee, pay.net),
            (Decimal("250.00"), Decimal("8.85"), Decimal("241.15")),
        )
        self.assertEqual(pay.amount, Decimal("241.15"))
        self.assertEqual(pay.order_ref, "S00057")
        self.assertEqual(pay.transaction_id, "5TY05013RG002845M")
        self.assertEqual(rows[2].date, datetime.date(2026, 9, 10))
        self.assertEqual(rows[2].amount, Decimal("-141.15"))

    def test_day_first_dates_detected(self):
        data = _replace(self.data, '"09/10/2026"', '"30/09/2026"')
        rows = parsers.parse_paypal(data)
        self.assertEqual(rows[0].date, datetime.date(2026, 4, 9))
        self.assertEqual(rows[2].date, datetime.date(2026, 9, 30))

    def test_thousands_with_decimal_comma(self):
        data = self.data.decode().replace(
            '"250,00","-8,85","241,15"', '"1.250,00","-8,85","1.241,15"'
        )
        rows = parsers.parse_paypal(data.encode())
        self.assertEqual(rows[0].gross, Decimal("1250.00"))
        self.assertEqual(rows[0].net, Decimal("1241.15"))

    def test_bad_amount_date_truncated(self):
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_paypal(
                _replace(
                    self.data, '"-100,00","0,00","-100,00"', '"-100,00","x","-100,00"'
                )
            )
        self.assertEqual(ctx.exception.line_no, 3)
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_paypal(_replace(self.data, '"09/10/2026"', '"2026-31-31"'))
        self.assertEqual(ctx.exception.line_no, 4)
        lines = self.data.decode().split("\n")
        lines[1] = ",".join(lines[1].split(",")[:9])
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_paypal("\n".join(lines).encode())
        self.assertEqual(ctx.exception.line_no, 2)


class TestGeneric(unittest.TestCase):
    CSV = (
        "Bank export\n"
        "Booking date;Text;Counterparty;IBAN;Debit;Credit;Ref\n"
        "05.09.2026;SEPA CT INV/2026/0012;ACME GmbH;DE12 3456;;1.234,50;E2E-1\n"
        "06.09.2026;Bank fees;;;12,00;;\n"
    )
    PROFILE = {
        "skip_rows": 1,
        "date": "Booking date",
        "debit": "Debit",
        "credit": "Credit",
        "label": ["Text", "Ref"],
        "partner_name": "Counterparty",
        "account_number": "IBAN",
        "reference": "Ref",
        "date_format": "%d.%m.%Y",
        "decimal_separator": ",",
        "thousands_separator": ".",
        "default_currency": "EUR",
    }

    def test_debit_credit_profile_with_bom(self):
        rows = parsers.parse(
            ("\ufeff" + self.CSV).encode("utf-8"), fmt="generic", profile=self.PROFILE
        )
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[0].amount, Decimal("1234.50"))
        self.assertEqual(rows[0].date, datetime.date(2026, 9, 5))
        self.assertEqual(rows[0].payer_name, "ACME GmbH")
        self.assertEqual(rows[0].account_number, "DE12 3456")
        self.assertEqual(rows[0].label, "SEPA CT INV/2026/0012 E2E-1")
        self.assertEqual(rows[0].line_no, 3)
        self.assertEqual(rows[0].currency, "EUR")
        self.assertEqual(rows[1].amount, Decimal("-12.00"))

    def test_gbk_signed_amount_by_index(self):
        text = (
            "日期,摘要,金额,对方户名\n"
            '2026/09/05,货款 S00045,"1,000.00",上海某某贸易有限公司\n'
        )
        profile = {
            "date": 0,
            "label": 1,
            "amount": 2,
            "partner_name": 3,
            "date_format": "%Y/%m/%d",
            "thousands_separator": ",",
            "encoding": "gbk",
        }
        rows = parsers.parse_generic(text.encode("gbk"), profile)
        self.assertEqual(rows[0].amount, Decimal("1000.00"))
        self.assertEqual(rows[0].payer_name, "上海某某贸易有限公司")

    def test_errors_name_line_and_field(self):
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_generic(
                self.CSV.replace("1.234,50", "1.2x4,50").encode(), self.PROFILE
            )
        self.assertEqual(ctx.exception.line_no, 3)
        self.assertIn("credit", ctx.exception.message)
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_generic(
                self.CSV.replace("06.09.2026", "06/09/2026").encode(), self.PROFILE
            )
        self.assertEqual(ctx.exception.line_no, 4)
        self.assertIn("date", ctx.exception.message)
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_generic(
                self.CSV.replace(
                    "06.09.2026;Bank fees;;;12,00;;", "06.09.2026;Bank fees"
                ).encode(),
                self.PROFILE,
            )
        self.assertEqual(ctx.exception.line_no, 4)
        with self.assertRaises(ParseError):
            parsers.parse_generic(self.CSV.encode(), dict(self.PROFILE, date="Valuta"))

    def test_unknown_format_needs_profile(self):
        self.assertIsNone(parsers.detect_format(self.CSV.encode()))
        with self.assertRaises(ParseError):
            parsers.parse(self.CSV.encode())

    def test_xlsx(self):
        try:
            import openpyxl
        except ImportError:
            self.skipTest("openpyxl not installed")
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Date", "Amount", "Label"])
        sheet.append([datetime.datetime(2026, 9, 5), 99.9, "INV/2026/0001"])
        sheet.append(["2026-09-07", "-5.10", "fee"])
        sheet.append(["bad date", 1, "x"])
        buffer = io.BytesIO()
        book.save(buffer)
        profile = {"date": "date", "amount": "amount", "label": "label"}
        with self.assertRaises(ParseError) as ctx:
            parsers.parse_generic(buffer.getvalue(), profile)
        self.assertEqual(ctx.exception.line_no, 4)
        sheet.delete_rows(4)
        buffer = io.BytesIO()
        book.save(buffer)
        rows = parsers.parse(buffer.getvalue(), profile=profile)
        self.assertEqual(rows[0].amount, Decimal("99.9"))
        self.assertEqual(rows[0].date, datetime.date(2026, 9, 5))
        self.assertEqual(rows[1].amount, Decimal("-5.10"))


class TestAmounts(unittest.TestCase):
    def test_parse_amount_variants(self):
        self.assertEqual(parsers.parse_amount("(12.50)", 1, "a"), Decimal("-12.50"))
        self.assertEqual(parsers.parse_amount("12.50-", 1, "a"), Decimal("-12.50"))
        self.assertEqual(
            parsers.parse_amount("€ 1 234,56", 1, "a", decimal_sep=","),
            Decimal("1234.56"),
        )
        self.assertEqual(parsers.parse_amount("", 1, "a"), Decimal("0"))
        with self.assertRaises(ParseError):
            parsers.parse_amount("1.2.3", 7, "a", thousands_sep="")
