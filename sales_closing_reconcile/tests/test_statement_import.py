import base64
import datetime
import io
import os

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


def _data(name):
    with open(os.path.join(os.path.dirname(__file__), "data", name), "rb") as handle:
        return handle.read()


@tagged("post_install", "-at_install")
class TestStatementImport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.eur = cls.env.ref("base.EUR")
        cls.cny = cls.env.ref("base.CNY")
        cls.usd = cls.env.ref("base.USD")
        (cls.eur | cls.cny | cls.usd).write({"active": True})
        cls.alipay_journal = cls._journal(
            "Alipay", "TALI", cls.cny, "20889876543210980321"
        )
        cls.wechat_journal = cls._journal("WeChat Pay", "TWXP", cls.cny)
        cls.stripe_journal = cls._journal("Stripe", "TSTR", cls.eur)
        cls.paypal_journal = cls._journal("PayPal", "TPPL", cls.eur)
        cls.bank_journal = cls._journal("Bank CNY", "TBOC", cls.cny)
        cls.ofx_journal = cls._journal(
            "Bank OFX", "TOFX", cls.eur, "DE89370400440532013000"
        )
        cls.camt_journal = cls._journal(
            "Bank CAMT", "TCMT", cls.eur, "DE44500105175407324931"
        )

    @classmethod
    def _journal(cls, name, code, currency, acc_number=None):
        vals = {"name": name, "code": code, "type": "bank"}
        if currency != cls.company.currency_id:
            vals["currency_id"] = currency.id
        if acc_number:
            vals["bank_account_id"] = (
                cls.env["res.partner.bank"]
                .create(
                    {
                        "acc_number": acc_number,
                        "partner_id": cls.company.partner_id.id,
                    }
                )
                .id
            )
        return cls.env["account.journal"].create(vals)

    def _wizard(self, journal, data, filename, profile=None):
        return (
            self.env["account.statement.import"]
            .with_context(journal_id=journal.id)
            .create(
                {
                    "statement_file": base64.b64encode(data),
                    "statement_filename": filename,
                    "sales_closing_profile_id": profile.id if profile else False,
                }
            )
        )

    def _import(self, journal, data, filename, profile=None):
        return self._wizard(journal, data, filename, profile)._import_file()

    def _lines(self, journal):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", journal.id)], order="sequence, id"
        )

    # ------------------------------------------------------------------
    # Payment platforms
    # ------------------------------------------------------------------

    def test_alipay(self):
        result = self._import(
            self.alipay_journal, _data("alipay_account_bill.csv"), "alipay.csv"
        )
        self.assertEqual(len(result["statement_ids"]), 1)
        lines = self._lines(self.alipay_journal)
        self.assertEqual(lines.mapped("amount"), [560.0, -3.36, -500.0])
        self.assertEqual(
            lines.mapped("sales_closing_kind"), ["payment", "fee", "payout"]
        )
        pay, fee, payout = lines
        self.assertEqual(pay.sales_closing_platform, "alipay")
        self.assertEqual(
            pay.sales_closing_transaction_id, "2026090222001456785500001111"
        )
        self.assertEqual(pay.sales_closing_order_ref, "S00045")
        self.assertEqual(pay.date, datetime.date(2026, 9, 2))
        self.assertEqual(
            (pay.sales_closing_gross, pay.sales_closing_fee, pay.sales_closing_net),
            (560.0, 0.0, 560.0),
        )
        # the fee row is a line of its own
        self.assertEqual(
            (fee.sales_closing_gross, fee.sales_closing_fee, fee.sales_closing_net),
            (0.0, 3.36, -3.36),
        )
        self.assertEqual(
            fee.sales_closing_transaction_id, pay.sales_closing_transaction_id
        )
        self.assertTrue(
            pay.unique_import_id.endswith("-alipay-20260902200040011100590098765401")
        )
        self.assertNotEqual(pay.unique_import_id, fee.unique_import_id)
        self.assertEqual(payout.payment_ref, "提现")

    def test_alipay_account_number_selects_journal(self):
        """The Alipay account in the file header finds its journal."""
        wizard = self.env["account.statement.import"].create(
            {
                "statement_file": base64.b64encode(_data("alipay_account_bill.csv")),
                "statement_filename": "alipay.csv",
            }
        )
        wizard._import_file()
        self.assertEqual(len(self._lines(self.alipay_journal)), 3)

    def test_wechat(self):
        self._import(
            self.wechat_journal, _data("wechatpay_trade_bill.csv"), "wechat.csv"
        )
        line = self._lines(self.wechat_journal)
        self.assertEqual(len(line), 1)
        self.assertAlmostEqual(line.amount, 87.47)
        self.assertEqual(line.sales_closing_platform, "wechat")
        self.assertEqual(
            line.sales_closing_transaction_id, "4200009876202609031111111111"
        )
        self.assertEqual(line.sales_closing_order_ref, "S00051")
        self.assertEqual(
            (line.sales_closing_gross, line.sales_closing_fee, line.sales_closing_net),
            (88.0, 0.53, 87.47),
        )
        self.assertEqual(line.sales_closing_kind, "payment")

    def test_stripe(self):
        result = self._import(
            self.stripe_journal, _data("stripe_payout_reconciliation.csv"), "po.csv"
        )
        statement = self.env["account.bank.statement"].browse(result["statement_ids"])
        self.assertIn("po_1QxAbc2eZvKYlo2C0a1b2c3d", statement.name)
        lines = self._lines(self.stripe_journal)
        self.assertEqual(lines.mapped("amount"), [116.22, 43.92, -20.0])
        self.assertEqual(lines.mapped("sales_closing_fee"), [3.78, 1.58, 0.0])
        self.assertEqual(lines.mapped("sales_closing_gross"), [120.0, 45.5, -20.0])
        self.assertEqual(
            lines.mapped("sales_closing_kind"), ["payment", "payment", "refund"]
        )
        self.assertEqual(
            lines[0].sales_closing_transaction_id, "pi_3QxA1a2eZvKYlo2C1ccccccc"
        )
        self.assertEqual(lines[0].sales_closing_order_ref, "S00060-1")
        self.assertEqual(
            set(lines.mapped("sales_closing_payout_ref")),
            {"po_1QxAbc2eZvKYlo2C0a1b2c3d"},
        )
        # the refund shares the payment intent, not the import id
        self.assertEqual(
            lines[2].sales_closing_transaction_id,
            lines[0].sales_closing_transaction_id,
        )
        self.assertEqual(len(set(lines.mapped("unique_import_id"))), 3)

    def test_paypal(self):
        self._import(self.paypal_journal, _data("paypal_activity.csv"), "pp.csv")
        lines = self._lines(self.paypal_journal)
        self.assertEqual(lines.mapped("amount"), [241.15, -100.0, -141.15])
        sale = lines[0]
        self.assertEqual(sale.sales_closing_transaction_id, "5TY05013RG002845M")
        self.assertEqual(sale.sales_closing_order_ref, "S00057")
        self.assertEqual(sale.partner_name, "Marco Rossi")
        self.assertEqual(
            (sale.sales_closing_gross, sale.sales_closing_fee, sale.sales_closing_net),
            (250.0, 8.85, 241.15),
        )
        self.assertEqual(lines[2].sales_closing_kind, "payout")

    # ------------------------------------------------------------------
    # Errors: all or nothing
    # ------------------------------------------------------------------

    def test_bad_amount_names_line_and_creates_nothing(self):
        data = _data("alipay_account_bill.csv").decode("gbk")
        self.assertIn("500.00\t,56.64", data)
        broken = data.replace("500.00\t,56.64", "5OO.00\t,56.64").encode("gbk")
        with self.assertRaises(UserError) as ctx:
            self._import(self.alipay_journal, broken, "alipay.csv")
        message = str(ctx.exception)
        self.assertIn("line 8", message)
        self.assertIn("alipay.csv", message)
        self.assertIn("支出金额", message)
        self.assertFalse(self._lines(self.alipay_journal))

    def test_error_after_first_statement_rolls_back_everything(self):
        """A USD row in a EUR file: the EUR statement is created first, then
        the USD one is refused, and nothing of the file remains."""
        data = _data("paypal_activity.csv").decode()
        extra = (
            '"09/11/2026","10:00:00","CEST","Joe Bloggs","Express Checkout Payment",'
            '"Completed","USD","10,00","-0,50","9,50","joe@example.com",'
            '"shop@example.com","7XY05013RG002845Z","","","S00099","9,50","Credit"\n'
        )
        wizard = self._wizard(
            self.paypal_journal, (data + extra).encode(), "paypal.csv"
        )
        try:
            wizard._import_file()
        except UserError as exc:
            self.assertIn("USD", str(exc))
        else:
            self.fail("a USD statement must not go into a EUR journal")
        self.assertFalse(self._lines(self.paypal_journal))
        self.assertFalse(
            self.env["account.bank.statement"].search(
                [("journal_id", "=", self.paypal_journal.id)]
            )
        )

    def test_unknown_csv_without_profile(self):
        with self.assertRaises(UserError):
            self._import(self.bank_journal, b"a,b,c\n1,2,3\n", "bank.csv")

    # ------------------------------------------------------------------
    # Duplicates
    # ------------------------------------------------------------------

    def test_import_twice_skips_and_counts(self):
        data = _data("stripe_payout_reconciliation.csv")
        first = self._import(self.stripe_journal, data, "po.csv")
        self.assertEqual(first["skipped_count"], 0)
        self.assertEqual(len(self._lines(self.stripe_journal)), 3)

        action = self._wizard(self.stripe_journal, data, "po.csv").import_file_button()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("3", action["params"]["message"])
        self.assertIn("skipped", action["params"]["message"])
        self.assertEqual(len(self._lines(self.stripe_journal)), 3)

        # one new row among the known ones: only it is created
        extra = (
            "po_1QxAbc2eZvKYlo2C0a1b2c3d,2026-09-08 00:00:00,"
            "txn_3QxD4d5eZvKYlo2C4iiiiiii,2026-09-07 18:00:00,2026-09-08 00:00:00,"
            "eur,10.00,0.45,9.55,charge,ch_3QxD4d5eZvKYlo2C4jjjjjjj,S00061,10.00,"
            "eur,cus_Qx3,joe@example.com,Joe,pi_3QxD4d5eZvKYlo2C4kkkkkkk,,S00061\n"
        )
        result = self._import(self.stripe_journal, data + extra.encode(), "po2.csv")
        self.assertEqual(result["skipped_count"], 3)
        self.assertTrue(
            any("3 transactions" in note for note in result["notifications"])
        )
        lines = self._lines(self.stripe_journal)
        self.assertEqual(len(lines), 4)
        self.assertEqual(len(set(lines.mapped("unique_import_id"))), 4)

    def test_same_file_in_another_journal_is_imported(self):
        data = _data("paypal_activity.csv")
        self._import(self.paypal_journal, data, "pp.csv")
        self._import(self.stripe_journal, data, "pp.csv")
        self.assertEqual(len(self._lines(self.stripe_journal)), 3)

    # ------------------------------------------------------------------
    # Mapping profiles
    # ------------------------------------------------------------------

    def _gbk_profile(self):
        return self.env["sales.closing.statement.profile"].create(
            {
                "name": "Bank of China CSV",
                "journal_id": self.bank_journal.id,
                "encoding": "gbk",
                "delimiter": "semicolon",
                "decimal_separator": "comma",
                "thousands_separator": "dot",
                "date_format": "%d.%m.%Y|%Y/%m/%d",
                "skip_rows": 2,
                "amount_type": "debit_credit",
                "date_column": "交易日期",
                "debit_column": "借方发生额",
                "credit_column": "贷方发生额",
                "label_column": "摘要,附言",
                "partner_name_column": "对方户名",
                "account_number_column": "对方账号",
            }
        )

    def test_generic_csv_gbk_decimal_comma_debit_credit(self):
        profile = self._gbk_profile()
        text = (
            "中国银行 账户明细;;;;;;\r\n"
            "账号：6217000012345678;;;;;;\r\n"
            "交易日期;摘要;对方户名;对方账号;借方发生额;贷方发生额;附言\r\n"
            "01.09.2026;货款;上海星辰贸易有限公司;6222020000000001;;1.234,56;S00045\r\n"
            "2026/09/02;手续费;;;12,50;;\r\n"
            "03.09.2026;快递费;顺丰速运;6222020000000002;45,00;;\r\n"
            "03.09.2026;快递费;顺丰速运;6222020000000002;45,00;;\r\n"
        )
        # started from the menu: the profile's journal is used
        wizard = self.env["account.statement.import"].create(
            {
                "statement_file": base64.b64encode(text.encode("gbk")),
                "statement_filename": "boc.csv",
                "sales_closing_profile_id": profile.id,
            }
        )
        wizard._import_file()
        lines = self._lines(self.bank_journal)
        self.assertEqual(lines.mapped("amount"), [1234.56, -12.5, -45.0, -45.0])
        self.assertEqual(lines[0].payment_ref, "货款 S00045")
        self.assertEqual(lines[0].partner_name, "上海星辰贸易有限公司")
        self.assertEqual(lines[0].account_number, "6222020000000001")
        self.assertEqual(lines[1].date, datetime.date(2026, 9, 2))
        self.assertFalse(lines[0].sales_closing_platform)
        # identical rows are both kept, and found again on a second import
        self.assertEqual(len(set(lines.mapped("unique_import_id"))), 4)
        again = self._wizard(self.bank_journal, text.encode("gbk"), "boc.csv", profile)
        self.assertEqual(again._import_file()["skipped_count"], 4)
        self.assertEqual(len(self._lines(self.bank_journal)), 4)

    def test_generic_csv_bad_amount_names_line(self):
        profile = self._gbk_profile()
        text = (
            "标题;;;;;;\r\n\r\n"
            "交易日期;摘要;对方户名;对方账号;借方发生额;贷方发生额;附言\r\n"
            "01.09.2026;货款;甲;;;100,00;\r\n"
            "02.09.2026;货款;乙;;;1O0,00;\r\n"
        )
        with self.assertRaises(UserError) as ctx:
            self._import(self.bank_journal, text.encode("gbk"), "boc.csv", profile)
        self.assertIn("line 5", str(ctx.exception))
        self.assertIn("credit", str(ctx.exception))
        self.assertFalse(self._lines(self.bank_journal))

    def test_default_profile_of_journal(self):
        profile = self._gbk_profile()
        wizard = (
            self.env["account.statement.import"]
            .with_context(journal_id=self.bank_journal.id)
            .new({})
        )
        self.assertEqual(wizard.sales_closing_profile_id, profile)

    def test_xlsx_profile(self):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Statement of account 6217000012345678"])
        sheet.append(["Booking date", "Text", "Amount", "Counterparty", "Ref"])
        sheet.append(
            [datetime.datetime(2026, 9, 4), "Payment S00050", 880.5, "ACME", "A1"]
        )
        sheet.append([datetime.datetime(2026, 9, 5), "Rent", -3000, "Landlord", "A2"])
        buffer = io.BytesIO()
        book.save(buffer)
        profile = self.env["sales.closing.statement.profile"].create(
            {
                "name": "Excel export",
                "skip_rows": 1,
                "date_column": "booking date",
                "amount_column": "3",
                "label_column": "Text",
                "partner_name_column": "Counterparty",
                "transaction_id_column": "Ref",
            }
        )
        self._import(self.bank_journal, buffer.getvalue(), "bank.xlsx", profile)
        lines = self._lines(self.bank_journal)
        self.assertEqual(lines.mapped("amount"), [880.5, -3000.0])
        self.assertEqual(lines.mapped("payment_ref"), ["Payment S00050", "Rent"])
        self.assertEqual(lines[0].date, datetime.date(2026, 9, 4))
        self.assertTrue(lines[0].unique_import_id.endswith("-generic-A1"))

    # ------------------------------------------------------------------
    # OCA formats through the same wizard
    # ------------------------------------------------------------------

    def test_ofx(self):
        self._import(self.ofx_journal, _data("bank_statement.ofx"), "bank.ofx")
        lines = self._lines(self.ofx_journal)
        self.assertEqual(lines.mapped("amount"), [116.22, 1250.0, -12.5])
        self.assertEqual(lines[0].date, datetime.date(2026, 9, 8))
        result = self._wizard(
            self.ofx_journal, _data("bank_statement.ofx"), "bank.ofx"
        )._import_file()
        self.assertEqual(result["skipped_count"], 3)
        self.assertEqual(len(self._lines(self.ofx_journal)), 3)

    def test_camt053(self):
        data = _data("bank_statement_camt053.xml")
        # a mapping profile selected by mistake does not get in the way
        profile = self._gbk_profile()
        self._import(self.camt_journal, data, "camt.xml", profile)
        lines = self._lines(self.camt_journal)
        self.assertEqual(lines.mapped("amount"), [480.0, -44.3])
        self.assertEqual(lines[0].partner_name, "Julia Weber GmbH")
        self.assertEqual(lines[0].date, datetime.date(2026, 9, 30))
