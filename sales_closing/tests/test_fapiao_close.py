"""China e-fapiao at the close: the closing package's figures, red-letter
forms through the provider, the scheduled query, the tax code table."""

import base64
import io
import json
import threading
import time
from datetime import date
from urllib.parse import urlsplit

from openpyxl import load_workbook

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tests.common import _super_send

from odoo.addons.sales_closing.engine.fapiao import nuonuo

from .fapiao_samples import issued_xml, summary_workbook
from .test_engine_fapiao_provider import APP_KEY, APP_SECRET, TOKEN, NuonuoSimulator
from .test_engine_fapiao_tax_codes import SAMPLE, software_workbook
from .test_fapiao import BUYER_VAT, SELLER_VAT, FapiaoCase


class RedSimulator(NuonuoSimulator):
    """The simulator, with a refusal and a slow answer for red forms."""

    def __init__(self):
        super().__init__()
        self.refuse_red = False
        self.delay_red = 0
        self.delay_act = 0
        self.lose_act = False

    def answer(self, method, payload):
        if method == nuonuo.SAVE_RED and self.refuse_red:
            return {"code": "E9999", "describe": "蓝字发票已全额红冲"}
        acting = method in (nuonuo.CONFIRM_RED, nuonuo.REVOKE_RED)
        if acting and self.lose_act:
            time.sleep(self.delay_act)  # lost on the way: never received
            return {"code": "E9999", "describe": "lost"}
        answer = super().answer(method, payload)
        if method == nuonuo.SAVE_RED and self.delay_red:
            time.sleep(self.delay_red)  # received, answered too late
        if acting and self.delay_act:
            time.sleep(self.delay_act)  # received, answered too late
        return answer

    def bureau(self, bill_id, state, red_number=None):
        """The buyer (or the bureau) moves the form on."""
        self.forms[bill_id]["billStatus"] = state
        if red_number:
            self.forms[bill_id]["redInvoiceNumber"] = red_number


class FapiaoCloseCase(FapiaoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            "fp_manager",
            groups="sales_closing.group_closing_manager,account.group_account_invoice",
        )
        cls.period = cls.env["sales.closing.period"].create(
            {
                "name": "2026-01 e-fapiao",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
            }
        )

    def issue_by_import(self, move, number, day="2026-01-15"):
        self.export(move)
        self.import_files(
            [
                (
                    f"{number}.xml",
                    issued_xml(
                        number,
                        day,
                        move.commercial_partner_id.vat or "",
                        f"{move.amount_untaxed:.2f}",
                        f"{move.amount_tax:.2f}",
                        f"{move.amount_total:.2f}",
                        move.sales_closing_fapiao_serial,
                        seller_vat=SELLER_VAT,
                    ),
                )
            ]
        )
        self.assertEqual(move.sales_closing_fapiao_number, number)

    def refund(self, move, day=date(2026, 1, 20)):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": day})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.action_post()
        return refund

    def red_by_import(self, refund, number, blue):
        self.import_files(
            [
                (
                    "red.xlsx",
                    summary_workbook(
                        [
                            {
                                "数电发票号码": number,
                                "销方识别号": SELLER_VAT,
                                "购方识别号": BUYER_VAT,
                                "开票日期": "2026-01-21",
                                "金额": f"{-refund.amount_untaxed:.2f}",
                                "税额": f"{-refund.amount_tax:.2f}",
                                "价税合计": f"{-refund.amount_total:.2f}",
                                "发票状态": "正常",
                                "是否正数发票": "否",
                                "备注": f"被红冲蓝字数电发票号码：{blue}",
                            }
                        ]
                    ),
                )
            ]
        )
        self.assertEqual(refund.sales_closing_fapiao_state, "red")

    def close(self, period):
        period.action_run_checks()
        lines = period.check_line_ids
        lines.filtered(lambda line: line.is_manual).write({"status": "ok"})
        failed = lines.filtered(lambda line: line.status == "failed")
        failed.write({"waiver_reason": "e-fapiao test"})
        failed.with_user(self.manager).action_waive()
        if "flux_line_ids" in period._fields:
            period.flux_line_ids.write({"explanation": "e-fapiao test"})
        period.with_user(self.manager).action_close()
        return period.package_ids.sorted("version")[-1]

    def use_nuonuo(self, simulator):
        self.company.write(
            {
                "sales_closing_fapiao_provider": "nuonuo",
                "sales_closing_fapiao_nuonuo_app_key": APP_KEY,
                "sales_closing_fapiao_nuonuo_app_secret": APP_SECRET,
                "sales_closing_fapiao_nuonuo_token": TOKEN,
                "sales_closing_fapiao_nuonuo_url": simulator.url,
            }
        )

    def issue_blue_through_nuonuo(self):
        """``self.blue``, a 专票 issued through the red-letter simulator
        (``self.simulator``; the second click queries what the first issued)."""
        self.simulator = RedSimulator()
        self.addCleanup(self.simulator.stop)
        self.use_nuonuo(self.simulator)
        self.blue = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        self.blue.with_user(self.accountant).action_sales_closing_fapiao_issue()
        self.blue.with_user(self.accountant).action_sales_closing_fapiao_issue()


@tagged("post_install", "-at_install")
class TestFapiaoPackage(FapiaoCloseCase):
    def test_package_fapiao_figures_hashed(self):
        blue = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        self.issue_by_import(blue, "26312000000000000300")
        pending = self.invoice(self.person, [(self.book, 2, 50.0, 0.0, self.tax0)])
        reversed_blue = self.invoice(
            self.special, [(self.desk, 2, 100.0, 0.0, self.tax13)]
        )
        self.issue_by_import(reversed_blue, "26312000000000000301")
        refund = self.refund(reversed_blue)
        self.red_by_import(refund, "26312000000000000302", "26312000000000000301")
        package = self.close(self.period)
        figures = json.loads(package.snapshot)["fapiao"]
        issued = blue | reversed_blue
        self.assertEqual(figures["issued"]["count"], 2)
        self.assertEqual(figures["not_issued"]["count"], 1)
        self.assertEqual(figures["red"]["count"], 1)
        # company currency (USD at 7 CNY), as Odoo's signed amounts
        for key, moves in (
            ("issued", issued),
            ("not_issued", pending),
            ("red", refund),
        ):
            for field, column in (
                ("untaxed", "amount_untaxed_signed"),
                ("tax", "amount_tax_signed"),
                ("total", "amount_total_signed"),
            ):
                self.assertAlmostEqual(
                    float(figures[key][field]), sum(moves.mapped(column)), places=2
                )
        self.assertLess(float(figures["red"]["total"]), 0)
        package.action_verify()
        self.assertEqual(package.verify_state, "ok", package.verify_message)
        # the figures are printed and in the workbook
        book = load_workbook(io.BytesIO(package.xlsx_attachment_id.raw))
        sheet = book["E-Fapiao"]
        self.assertEqual(sheet.max_row, 4)
        self.assertEqual(sheet.cell(2, 2).value, 2)
        self.assertIn(b"o_closing_package_fapiao", package.pdf_attachment_id.raw)
        # the figures are covered by the hashes
        forged = package.snapshot.replace(
            '"not_issued":{"count":1', '"not_issued":{"count":0'
        )
        self.assertNotEqual(forged, package.snapshot)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sales_closing_package SET snapshot = %s WHERE id = %s",
            (forged, package.id),
        )
        self.env.invalidate_all()
        package.action_verify()
        self.assertEqual(package.verify_state, "tampered")

    def test_company_without_fapiao_seals_what_it_did_and_old_packages_verify(self):
        """Off: no fapiao section (the snapshot, and so the hash, as before).
        Switched on later: the next version has it, the diff names it, and
        the package sealed before still verifies."""
        self.company.sales_closing_fapiao_enabled = False
        self.invoice(self.person, [(self.book, 2, 50.0, 0.0, self.tax0)])
        first = self.close(self.period)
        snapshot = json.loads(first.snapshot)
        self.assertNotIn("fapiao", snapshot)
        self.assertEqual(snapshot["format"], 1)
        self.company.sales_closing_fapiao_enabled = True
        self.period.sudo().state = "reopened"
        second = self.close(self.period)
        self.assertEqual(second.version, 2)
        figures = json.loads(second.snapshot)["fapiao"]
        # posted before e-fapiao was switched on: still without e-fapiao
        self.assertEqual(figures["not_issued"]["count"], 1)
        self.assertIn("fapiao.not_issued.count", second.diff)
        (first | second).action_verify()
        self.assertEqual(first.verify_state, "ok", first.verify_message)
        self.assertEqual(second.verify_state, "ok", second.verify_message)


@tagged("post_install", "-at_install")
class TestFapiaoRedProvider(FapiaoCloseCase):
    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # the simulator on 127.0.0.1 with the provider timeout as configured
        # (Odoo's tests raise any timeout under 10 s to 10 s)
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def setUp(self):
        super().setUp()
        self.issue_blue_through_nuonuo()
        self.assertEqual(self.blue.sales_closing_fapiao_number, "26312000000000000001")
        self.refund_move = self.refund(self.blue)
        self.form = self.refund_move.sales_closing_fapiao_red_ids

    def calls(self, method):
        return self.simulator.calls.count(method)

    def test_submit_query_until_red_issued(self):
        self.assertEqual(self.refund_move.sales_closing_fapiao_red_state, "draft")
        self.refund_move.with_user(
            self.accountant
        ).action_sales_closing_fapiao_red_submit()
        form = self.form
        bill = f"SCRF{form.id:012d}"
        self.assertEqual(form.provider_form_id, bill)
        self.assertEqual((form.bureau_state, form.state), ("02", "pending"))
        self.assertEqual(form.form_number, "RED1")
        sent = self.simulator.forms[bill]
        self.assertEqual(sent["blueElecInvoiceNumber"], "26312000000000000001")
        self.assertEqual(sent["redReason"], "2")  # 01 开票有误 is Nuonuo's 2
        self.assertEqual(self.refund_move.sales_closing_fapiao_red_state, "pending")
        # sending again sends nothing (the form is with the bureau)
        form.with_user(self.accountant).action_provider_submit()
        self.assertEqual(self.calls(nuonuo.SAVE_RED), 1)
        # the buyer confirms; the query records it
        self.simulator.bureau(bill, "04")
        form.with_user(self.accountant).action_provider_query()
        self.assertEqual((form.bureau_state, form.state), ("04", "confirmed"))
        # the red e-fapiao is issued; the query links it to the credit note
        self.simulator.bureau(bill, "04", red_number="26312000000000000009")
        self.refund_move.with_user(
            self.accountant
        ).action_sales_closing_fapiao_red_query()
        self.assertEqual(form.state, "issued")
        self.assertEqual(form.red_number, "26312000000000000009")
        self.assertEqual(
            self.refund_move.sales_closing_fapiao_number, "26312000000000000009"
        )
        self.assertEqual(self.refund_move.sales_closing_fapiao_state, "red")
        # querying again changes nothing
        messages = len(form.message_ids)
        form.with_user(self.accountant).action_provider_query()
        self.assertEqual(len(form.message_ids), messages)
        self.assertEqual(self.calls(nuonuo.SAVE_RED), 1)

    def test_refusal_is_shown_and_nothing_recorded(self):
        self.simulator.refuse_red = True
        with self.assertRaises(UserError) as caught:
            self.form.with_user(self.accountant).action_provider_submit()
        message = str(caught.exception)
        self.assertIn(self.form.display_name, message)
        self.assertIn("E9999", message)
        self.assertIn("蓝字发票已全额红冲", message)
        self.env.invalidate_all()
        self.assertEqual(self.form.state, "draft")
        self.assertFalse(self.form.provider_form_id)

    def test_no_answer_then_queried_never_sent_twice(self):
        self.env["ir.config_parameter"].set_param(
            "sales_closing.fapiao_provider_timeout", "0.5"
        )
        self.simulator.delay_red = 1.5
        action = self.form.with_user(self.accountant).action_provider_submit()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(self.form.display_name, action["params"]["message"])
        self.assertEqual(self.form.state, "submitted")
        self.assertTrue(self.form.provider_form_id)
        # the provider received it: the retry queries it first, sends nothing
        self.simulator.delay_red = 0
        self.form.with_user(self.accountant).action_provider_submit()
        self.assertEqual(self.calls(nuonuo.SAVE_RED), 1)
        self.assertEqual((self.form.bureau_state, self.form.state), ("02", "pending"))

    def submitted(self, bureau_state=None):
        """The form sent to the provider; the bureau moves it on."""
        self.form.with_user(self.accountant).action_provider_submit()
        if bureau_state:
            self.simulator.bureau(self.form.provider_form_id, bureau_state)
        return self.simulator.forms[self.form.provider_form_id]

    def test_confirm_through_provider(self):
        sent = self.submitted("03")  # entered by the buyer: ours to confirm
        messages = len(self.form.message_ids)
        self.form.with_user(self.accountant).action_confirmed()
        self.assertEqual(self.calls(nuonuo.CONFIRM_RED), 1)
        self.assertEqual(sent["billStatus"], "04")
        self.assertEqual((self.form.bureau_state, self.form.state), ("04", "confirmed"))
        self.assertGreater(len(self.form.message_ids), messages)
        # confirmed: a second click queries and sends nothing
        self.form.with_user(self.accountant).action_confirmed()
        self.assertEqual(self.calls(nuonuo.CONFIRM_RED), 1)

    def test_reject_through_provider(self):
        sent = self.submitted("03")
        self.form.with_user(self.accountant).action_rejected()
        self.assertEqual(sent["billStatus"], "06")
        self.assertEqual((self.form.bureau_state, self.form.state), ("06", "void"))
        self.assertEqual(self.refund_move.sales_closing_fapiao_red_state, "void")

    def test_revoke_through_provider(self):
        sent = self.submitted()
        self.assertEqual(self.form.bureau_state, "02")
        messages = len(self.form.message_ids)
        self.form.with_user(self.accountant).action_revoked()
        self.assertEqual(self.calls(nuonuo.REVOKE_RED), 1)
        self.assertEqual(sent["billStatus"], "08")
        self.assertEqual((self.form.bureau_state, self.form.state), ("08", "void"))
        self.assertGreater(len(self.form.message_ids), messages)

    def test_state_moved_at_the_bureau_is_queried_first(self):
        # the buyer revoked the form meanwhile: nothing is sent
        self.submitted("08")
        self.form.with_user(self.accountant).action_confirmed()
        self.assertFalse(self.calls(nuonuo.CONFIRM_RED))
        self.assertEqual((self.form.bureau_state, self.form.state), ("08", "void"))

    def test_confirm_timeout_resolved_by_query(self):
        self.env["ir.config_parameter"].set_param(
            "sales_closing.fapiao_provider_timeout", "0.5"
        )
        self.submitted("03")
        # received, answered too late: the query finds it confirmed
        self.simulator.delay_act = 1.5
        action = self.form.with_user(self.accountant).action_confirmed()
        self.assertIs(action, True)
        self.assertEqual(self.form.bureau_state, "04")
        self.assertEqual(self.calls(nuonuo.CONFIRM_RED), 1)

    def test_reject_lost_warns_and_is_queried_before_retry(self):
        self.env["ir.config_parameter"].set_param(
            "sales_closing.fapiao_provider_timeout", "0.5"
        )
        self.submitted("03")
        self.simulator.lose_act = True
        self.simulator.delay_act = 1.5
        action = self.form.with_user(self.accountant).action_rejected()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(self.form.bureau_state, "03")
        # the retry queries first, then sends once
        self.simulator.lose_act = False
        self.simulator.delay_act = 0
        queries = self.calls(nuonuo.QUERY_RED)
        self.form.with_user(self.accountant).action_rejected()
        self.assertEqual(self.calls(nuonuo.QUERY_RED), queries + 2)
        self.assertEqual(self.calls(nuonuo.CONFIRM_RED), 2)
        self.assertEqual(self.form.bureau_state, "06")

    def test_provider_refusal_of_revocation_names_the_form(self):
        self.submitted()
        self.simulator.lose_act = True
        with self.assertRaises(UserError) as caught:
            self.form.with_user(self.accountant).action_revoked()
        self.assertIn(self.form.display_name, str(caught.exception))
        self.assertIn("E9999", str(caught.exception))

    def test_file_workflow_records_the_reported_state(self):
        self.company.sales_closing_fapiao_provider = "file"
        form = self.form.with_user(self.accountant)
        form.action_entered()
        self.assertEqual(form.bureau_state, "02")
        form._set_bureau({"bureau_state": "03"})
        form.action_rejected()
        self.assertEqual((form.bureau_state, form.state), ("06", "void"))
        self.assertFalse(
            {nuonuo.SAVE_RED, nuonuo.QUERY_RED, nuonuo.CONFIRM_RED}
            & set(self.simulator.calls)
        )
        reader = new_test_user(
            self.env, "fp_reader2", groups="sales_closing.group_closing_user"
        )
        for action in ("action_confirmed", "action_rejected", "action_revoked"):
            with self.assertRaises(AccessError):
                getattr(self.form.with_user(reader), action)()

    def test_file_workflow_and_rights(self):
        reader = new_test_user(
            self.env, "fp_reader", groups="sales_closing.group_closing_user"
        )
        with self.assertRaises(AccessError):
            self.form.with_user(reader).action_provider_submit()
        self.company.sales_closing_fapiao_provider = "file"
        with self.assertRaises(UserError) as caught:
            self.form.with_user(self.accountant).action_provider_submit()
        self.assertIn("batch-issue file", str(caught.exception))
        self.assertFalse(self.calls(nuonuo.SAVE_RED))


@tagged("post_install", "-at_install")
class TestFapiaoPartialRed(FapiaoCloseCase):
    """A credit note reversing part of an invoice (部分冲红)."""

    def partial_refund(self, move, quantity, post=True):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": date(2026, 1, 20)})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.invoice_line_ids[0].quantity = quantity
        if post:
            refund.action_post()
        return refund

    def test_partial_red_forms_up_to_the_fapiao_total(self):
        blue = self.invoice(self.special, [(self.desk, 3, 100.0, 0.0, self.tax13)])
        number = "26312000000000000401"
        self.issue_by_import(blue, number)
        self.assertEqual(blue.amount_total, 339.0)
        # one desk of three: the form has the credit note's amounts
        first = self.partial_refund(blue, 1)
        form = first.sales_closing_fapiao_red_ids
        self.assertEqual((form.amount_untaxed, form.amount_tax), (-100.0, -13.0))
        self.assertTrue(form.partial)
        self.assertEqual(form.blue_number, number)
        # reset to draft, two desks, posted again: the form (not yet
        # entered) follows
        first.button_draft()
        first.invoice_line_ids[0].quantity = 2
        first.action_post()
        self.assertEqual(first.sales_closing_fapiao_red_ids, form)
        self.assertEqual((form.amount_untaxed, form.amount_tax), (-200.0, -26.0))
        # two more desks: more than the one left, refused, naming all
        over = self.partial_refund(blue, 2, post=False)
        with self.assertRaises(UserError) as caught:
            over.action_post()
        message = str(caught.exception)
        for needle in (blue.name, number, "339.00", "226.00", "113.00"):
            self.assertIn(needle, message)
        self.assertEqual(over.state, "draft")
        self.assertFalse(over.sales_closing_fapiao_red_ids)
        # the one left: accepted, the invoice fully reversed
        over.invoice_line_ids[0].quantity = 1
        over.action_post()
        self.assertEqual(over.sales_closing_fapiao_red_ids.amount_untaxed, -100.0)
        self.assertTrue(over.sales_closing_fapiao_red_ids.partial)
        # nothing left: a further credit note is refused
        more = self.partial_refund(blue, 1, post=False)
        with self.assertRaises(UserError):
            more.action_post()
        # a void form frees its amount
        voided = form.with_user(self.accountant)
        voided.action_entered()
        voided.action_revoked()
        self.assertEqual(form.state, "void")
        more.action_post()
        self.assertEqual(more.sales_closing_fapiao_red_ids.amount_tax, -13.0)
        # a credit note whose form is with the bureau cannot change
        more.sales_closing_fapiao_red_ids.with_user(self.accountant).action_entered()
        more.button_draft()
        more.invoice_line_ids[0].quantity = 2
        with self.assertRaises(UserError) as caught:
            more.action_post()
        self.assertIn(more.name, str(caught.exception))

    def test_partial_form_sent_with_lines_numbered_as_on_the_blue(self):
        """部分冲红 through Nuonuo: the credit note's lines, each with its
        number on the blue e-fapiao (the discounted desk is line 1, its
        discount line 2, the book line 3), negative amounts."""
        simulator = RedSimulator()
        self.addCleanup(simulator.stop)
        self.use_nuonuo(simulator)
        blue = self.invoice(
            self.special,
            [
                (self.desk, 3, 100.0, 10.0, self.tax13),
                (self.book, 2, 50.0, 0.0, self.tax13),
            ],
        )
        blue.with_user(self.accountant).action_sales_closing_fapiao_issue()
        blue.with_user(self.accountant).action_sales_closing_fapiao_issue()
        self.assertEqual(blue.sales_closing_fapiao_amount_total, 418.10)
        # one book back
        book_back = self.partial_refund(blue, 3, post=False)
        book_back.write(
            {"invoice_line_ids": [Command.delete(book_back.invoice_line_ids[0].id)]}
        )
        book_back.invoice_line_ids.quantity = 1
        book_back.action_post()
        form = book_back.sales_closing_fapiao_red_ids
        self.assertTrue(form.partial)
        form.with_user(self.accountant).action_provider_submit()
        sent = simulator.forms[form.provider_form_id]
        self.assertEqual(
            sent["detail"],
            [
                {
                    "blueDetailIndex": "3",
                    "goodsName": "Book",
                    "goodsCode": self.book.sales_closing_fapiao_tax_code,
                    "specType": "",
                    "unit": self.book.uom_id.name,
                    "taxRate": "0.13",
                    "taxExcludedAmount": "-50.00",
                    "taxAmount": "-6.50",
                    "num": "-1",
                    "taxExcludedPrice": "50",
                }
            ],
        )
        self.assertEqual((form.bureau_state, form.state), ("02", "pending"))
        # one desk and both books back: lines 1 (after its 10 % discount)
        # and 3
        desk_back = self.partial_refund(blue, 1)
        form = desk_back.sales_closing_fapiao_red_ids
        desk_back.with_user(self.accountant).action_sales_closing_fapiao_red_submit()
        detail = simulator.forms[form.provider_form_id]["detail"]
        self.assertEqual(
            [(d["blueDetailIndex"], d["num"], d["taxExcludedPrice"]) for d in detail],
            [("1", "-1", "90"), ("3", "-2", "50")],
        )
        self.assertEqual(
            (detail[0]["taxExcludedAmount"], detail[0]["taxAmount"]),
            ("-90.00", "-11.70"),
        )
        self.assertEqual(form.state, "pending")
        # a sales allowance (04) on the book: amounts only
        allowance = self.partial_refund(blue, 1, post=False)
        allowance.write(
            {"invoice_line_ids": [Command.delete(allowance.invoice_line_ids[0].id)]}
        )
        allowance.invoice_line_ids.write({"quantity": 1, "price_unit": 20.0})
        allowance.action_post()
        form = allowance.sales_closing_fapiao_red_ids
        form.with_user(self.accountant).reason = "04"
        form.with_user(self.accountant).action_provider_submit()
        detail = simulator.forms[form.provider_form_id]["detail"]
        self.assertEqual(
            [
                (d["blueDetailIndex"], d["taxExcludedAmount"], "num" in d)
                for d in detail
            ],
            [("3", "-20.00", False)],
        )
        # a line the blue e-fapiao has not (a desk at 9 %): refused before
        # anything is recorded or sent, naming the form and the line
        saves = simulator.calls.count(nuonuo.SAVE_RED)
        other = self.partial_refund(blue, 1, post=False)
        other.write(
            {"invoice_line_ids": [Command.delete(other.invoice_line_ids[1].id)]}
        )
        other.invoice_line_ids.tax_ids = self.tax9
        other.action_post()
        form = other.sales_closing_fapiao_red_ids
        with self.assertRaises(UserError) as caught:
            form.with_user(self.accountant).action_provider_submit()
        for needle in (
            form.display_name,
            other.name,
            blue.name,
            blue.sales_closing_fapiao_number,
        ):
            self.assertIn(needle, str(caught.exception))
        self.assertEqual(simulator.calls.count(nuonuo.SAVE_RED), saves)
        self.env.invalidate_all()
        self.assertFalse(form.provider_form_id)
        # still possible by hand on the platform
        form.with_user(self.accountant).action_entered()
        self.assertEqual(form.state, "pending")


@tagged("post_install", "-at_install")
class TestFapiaoBuyerForms(FapiaoCloseCase):
    """Forms the buyer entered at the bureau (03 购方录入待销方确认),
    downloaded from Nuonuo for the seller to confirm or reject."""

    def setUp(self):
        super().setUp()
        self.issue_blue_through_nuonuo()
        self.number = self.blue.sales_closing_fapiao_number
        self.today = str(fields.Date.context_today(self.blue))
        self.Red = self.env["sales.closing.fapiao.red"]
        self.Move = self.env["account.move"]

    def test_downloaded_confirmed_then_credit_note_takes_it(self):
        self.simulator.buyer_form("BUY-1", self.number, "-100.00", "-13.00", self.today)
        # the scheduled query downloads it
        self.Move._cron_sales_closing_fapiao_query(commit=False)
        form = self.Red.search([("provider_form_id", "=", "BUY-1")])
        self.assertEqual(len(form), 1)
        self.assertRecordValues(
            form,
            [
                {
                    "entered_by": "buyer",
                    "origin_move_id": self.blue.id,
                    "move_id": False,
                    "partner_id": self.special.id,
                    "blue_number": self.number,
                    "bureau_state": "03",
                    "state": "pending",
                    "form_number": "BBUY-1",
                    "reason": "02",  # Nuonuo's 1 销货退回
                    "amount_untaxed": -100.0,
                    "amount_tax": -13.0,
                }
            ],
        )
        self.assertIn(self.blue.name, form.message_ids[:1].body)
        self.assertLess(
            self.simulator.calls.index(nuonuo.REFRESH_RED),
            len(self.simulator.calls) - 1,
        )
        # downloaded again: nothing new
        self.assertFalse(self.Move._sales_closing_fapiao_download_red_forms())
        self.assertEqual(
            self.Red.search_count([("origin_move_id", "=", self.blue.id)]), 1
        )
        # the buyer's form is not ours to revoke
        with self.assertRaises(UserError):
            form.with_user(self.accountant).action_revoked()
        # confirmed through Nuonuo
        form.with_user(self.accountant).action_confirmed()
        confirm = [p for m, p in self.simulator.payloads if m == nuonuo.CONFIRM_RED]
        self.assertEqual(
            [(p["billId"], p["confirmAgreement"]) for p in confirm], [("BUY-1", "1")]
        )
        self.assertEqual((form.bureau_state, form.state), ("04", "confirmed"))
        # the bureau issues the red e-fapiao; the scheduled query records it
        self.simulator.bureau("BUY-1", "04", red_number="26312000000000000088")
        self.Move._cron_sales_closing_fapiao_query(commit=False)
        self.assertEqual(
            (form.state, form.red_number), ("issued", "26312000000000000088")
        )
        # the credit note posted for it takes the form and its red number
        refund = self.refund(self.blue)
        self.assertEqual(refund.sales_closing_fapiao_red_ids, form)
        self.assertEqual(form.move_id, refund)
        self.assertEqual(refund.sales_closing_fapiao_number, "26312000000000000088")
        self.assertEqual(refund.sales_closing_fapiao_state, "red")
        self.assertEqual(
            self.Red.search_count([("origin_move_id", "=", self.blue.id)]), 1
        )

    def test_rejected_unknown_and_reserved(self):
        self.simulator.buyer_form("BUY-2", self.number, "-50.00", "-6.50", self.today)
        self.simulator.buyer_form(
            "BUY-3", "26312000000009999999", "-1.00", "-0.13", self.today
        )
        created = self.Move._sales_closing_fapiao_download_red_forms()
        self.assertEqual(len(created), 2)
        unknown = created.filtered(lambda form: not form.origin_move_id)
        self.assertEqual(unknown.blue_number, "26312000000009999999")
        self.assertIn("26312000000009999999", unknown.message_ids[:1].body)
        form = created - unknown
        # pending, the buyer's form holds its amount: a whole credit note
        # (113.00) is more than the 56.50 left
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=self.blue.ids)
            .create({"journal_id": self.blue.journal_id.id, "date": date(2026, 1, 20)})
        )
        whole = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        with self.assertRaises(UserError) as caught:
            whole.action_post()
        self.assertIn("56.50", str(caught.exception))
        # rejected through Nuonuo: void, its amount freed
        form.with_user(self.accountant).action_rejected()
        self.assertEqual(self.simulator.forms["BUY-2"]["billStatus"], "06")
        self.assertEqual((form.bureau_state, form.state), ("06", "void"))
        whole.action_post()
        new = whole.sales_closing_fapiao_red_ids
        self.assertNotEqual(new, form)
        self.assertEqual(new.entered_by, "seller")
        self.assertFalse(form.move_id)
        # readers see the forms, cannot answer them
        reader = new_test_user(
            self.env, "fp_reader3", groups="sales_closing.group_closing_user"
        )
        with self.assertRaises(AccessError):
            unknown.with_user(reader).action_rejected()

    def test_no_answer_downloads_nothing_and_next_run_does(self):
        self.simulator.buyer_form("BUY-4", self.number, "-10.00", "-1.30", self.today)
        self.company.sales_closing_fapiao_nuonuo_url = (
            "http://127.0.0.1:9/open/v1/services"
        )
        self.assertFalse(self.Move._sales_closing_fapiao_download_red_forms())
        self.use_nuonuo(self.simulator)
        self.assertEqual(
            self.Move._sales_closing_fapiao_download_red_forms().provider_form_id,
            "BUY-4",
        )


@tagged("post_install", "-at_install")
class TestFapiaoCron(FapiaoCloseCase):
    def test_cron_queries_sent_invoices_and_open_forms(self):
        simulator = RedSimulator()
        self.addCleanup(simulator.stop)
        self.use_nuonuo(simulator)
        sent = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        sent.with_user(self.accountant).action_sales_closing_fapiao_issue()
        self.assertEqual(sent.sales_closing_fapiao_state, "exported")
        self.assertTrue(sent.sales_closing_fapiao_sent_date)
        # exported in a batch-issue file: not the provider's to answer
        filed = self.invoice(self.person, [(self.book, 1, 50.0, 0.0, self.tax0)])
        self.export(filed)
        Move = self.env["account.move"]
        moves, forms = Move._cron_sales_closing_fapiao_query(commit=False)
        self.assertEqual(moves, sent)
        self.assertFalse(forms)
        self.assertEqual(sent.sales_closing_fapiao_state, "issued")
        self.assertEqual(sent.sales_closing_fapiao_number, "26312000000000000001")
        self.assertEqual(sent.sales_closing_fapiao_amount_total, 113.0)
        self.assertEqual(sent.sales_closing_fapiao_amount_tax, 13.0)
        self.assertEqual(filed.sales_closing_fapiao_state, "exported")
        self.assertEqual(simulator.calls.count(nuonuo.QUERY), 1)
        # a second run finds nothing to ask
        moves, forms = Move._cron_sales_closing_fapiao_query(commit=False)
        self.assertFalse(moves or forms)
        self.assertEqual(simulator.calls.count(nuonuo.QUERY), 1)
        # a red-letter form sent, then confirmed and issued at the bureau
        refund = self.refund(sent)
        form = refund.sales_closing_fapiao_red_ids
        form.with_user(self.accountant).action_provider_submit()
        simulator.bureau(form.provider_form_id, "04", red_number="26312000000000000077")
        moves, forms = Move._cron_sales_closing_fapiao_query(commit=False)
        self.assertEqual(forms, form)
        self.assertEqual(form.state, "issued")
        self.assertEqual(refund.sales_closing_fapiao_number, "26312000000000000077")
        moves, forms = Move._cron_sales_closing_fapiao_query(commit=False)
        self.assertFalse(moves or forms)
        self.assertTrue(self.env.ref("sales_closing.ir_cron_fapiao_query").active)


@tagged("post_install", "-at_install")
class TestFapiaoTaxCodeTable(FapiaoCloseCase):
    def import_table(self, data, user=None):
        wizard = (
            self.env["sales.closing.fapiao.tax.code.import"]
            .with_user(user or self.manager)
            .create({"data_file": base64.b64encode(data), "filename": "spbm.xlsx"})
        )
        wizard.action_import()
        return wizard

    def test_codes_checked_against_the_imported_table(self):
        Code = self.env["sales.closing.fapiao.tax.code"]
        # shipped: the six categories only; codes are checked for their shape
        self.assertEqual(Code.search_count([]), 6)
        self.assertFalse(Code._leaves_loaded())
        self.desk.product_tmpl_id.sales_closing_fapiao_tax_code = "1999999990000000000"
        with self.assertRaises(AccessError):
            self.import_table(software_workbook(), user=self.accountant)
        wizard = self.import_table(software_workbook())
        # the two categories of the sample are updated, six codes added
        self.assertEqual((wizard.created_count, wizard.updated_count), (6, 2))
        self.assertEqual((wizard.leaf_count, wizard.version), (3, "32.0"))
        self.assertEqual(Code.search_count([]), 12)
        template = self.rice.product_tmpl_id
        template.sales_closing_fapiao_tax_code = "1010101020000000000"
        self.assertEqual(template.sales_closing_fapiao_tax_code_name, "*谷物* 小麦")
        for code, needle in (
            ("1010101030000000000", "not in the imported code table"),
            ("1010101000000000000", "summary item"),
        ):
            with self.assertRaises(ValidationError) as caught:
                template.sales_closing_fapiao_tax_code = code
            self.assertIn(needle, str(caught.exception))
        # a newer table: updated in place; a code it drops is kept, not
        # available, and refused for new products
        wizard = self.import_table(
            software_workbook(
                [row for row in SAMPLE if row[0] != "1010101020000000000"],
                version="33.0",
            )
        )
        self.assertEqual((wizard.created_count, wizard.version), (0, "33.0"))
        wheat = Code.search([("code", "=", "1010101020000000000")])
        self.assertFalse(wheat.available)
        self.assertEqual(template.sales_closing_fapiao_tax_code, "1010101020000000000")
        with self.assertRaises(ValidationError) as caught:
            self.book.product_tmpl_id.sales_closing_fapiao_tax_code = (
                "1010101020000000000"
            )
        self.assertIn("no longer available", str(caught.exception))

    def test_bad_table_refused_with_row(self):
        with self.assertRaises(UserError) as caught:
            self.import_table(
                software_workbook([("1010101010000000000", "", "", "", "N", "0")])
            )
        self.assertIn("row 2", str(caught.exception))
        self.assertEqual(self.env["sales.closing.fapiao.tax.code"].search_count([]), 6)


@tagged("post_install", "-at_install")
class TestFapiaoCronConcurrency(TransactionCase):
    """Two runs of the scheduled query at the same time (committed data, two
    database cursors): each invoice is queried and issued once."""

    def setUp(self):
        super().setUp()
        self.simulator = NuonuoSimulator()
        self.addCleanup(self.simulator.stop)
        self.cursors = []
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            self.saved = company.read(
                [
                    "sales_closing_fapiao_enabled",
                    "sales_closing_fapiao_provider",
                    "sales_closing_fapiao_nuonuo_app_key",
                    "sales_closing_fapiao_nuonuo_app_secret",
                    "sales_closing_fapiao_nuonuo_token",
                    "sales_closing_fapiao_nuonuo_url",
                ]
            )[0]
            self.saved.pop("id")
            company.write(
                {
                    "sales_closing_fapiao_enabled": True,
                    "sales_closing_fapiao_provider": "nuonuo",
                    "sales_closing_fapiao_nuonuo_app_key": APP_KEY,
                    "sales_closing_fapiao_nuonuo_app_secret": APP_SECRET,
                    "sales_closing_fapiao_nuonuo_token": TOKEN,
                    "sales_closing_fapiao_nuonuo_url": self.simulator.url,
                }
            )
            partner = env["res.partner"].create({"name": "SC fapiao concurrency"})
            product = env["product.product"].create({"name": "SC fapiao item"})
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": date(2026, 1, 15),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "price_unit": 100.0,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                    for _index in range(2)
                ]
            )
            moves.action_post()
            for index, move in enumerate(moves):
                serial = f"SCFPC{move.id:011d}"
                move.sudo().write(
                    {
                        "sales_closing_fapiao_state": "exported",
                        "sales_closing_fapiao_serial": serial,
                        "sales_closing_fapiao_sent_date": "2026-01-15 10:00:00",
                    }
                )
                self.simulator.orders[serial] = {
                    "order": {"orderNo": serial},
                    "number": f"2631299900000000000{index}",
                }
            cr.commit()  # pylint: disable=invalid-commit
            self.ids = {
                "moves": moves.ids,
                "partner": partner.id,
                "product": product.id,
                "company": company.id,
            }
        self.addCleanup(self._cleanup)

    def _cursor_env(self):
        cr = self.registry.cursor()
        self.cursors.append(cr)
        cr.execute("SET lock_timeout = '5s'")  # a wait would be a failure
        return api.Environment(cr, SUPERUSER_ID, {})

    def _cleanup(self):
        for cr in self.cursors:
            if not cr.closed:
                cr.rollback()
                cr.close()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # posted invoices with an issued e-fapiao are never deleted by the
            # ORM: removed behind it, as the test made them
            cr.execute(
                "DELETE FROM account_move WHERE id IN %s", [tuple(self.ids["moves"])]
            )
            env["product.product"].browse(self.ids["product"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["res.company"].browse(self.ids["company"]).write(self.saved)
            cr.commit()  # pylint: disable=invalid-commit

    def _numbers(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT sales_closing_fapiao_number FROM account_move "
                "WHERE id IN %s ORDER BY id",
                [tuple(self.ids["moves"])],
            )
            return [row[0] for row in cr.fetchall()]

    def test_locked_invoice_skipped_by_a_second_run(self):
        env_a = self._cursor_env()
        env_b = self._cursor_env()
        taken_a, _forms = env_a["account.move"]._cron_sales_closing_fapiao_query(
            limit=1, commit=False
        )
        self.assertEqual(len(taken_a), 1)
        # A holds its invoice until it commits: B takes the other one only,
        # without waiting
        taken_b, _forms = env_b["account.move"]._cron_sales_closing_fapiao_query(
            commit=True
        )
        self.assertEqual(len(taken_b), 1)
        self.assertNotEqual(taken_a.id, taken_b.id)
        env_a.cr.commit()
        again, _forms = env_b["account.move"]._cron_sales_closing_fapiao_query(
            commit=True
        )
        self.assertFalse(again)
        self.assertEqual(self.simulator.calls.count(nuonuo.QUERY), 2)
        self.assertEqual(
            self._numbers(), ["26312999000000000000", "26312999000000000001"]
        )

    def test_two_runs_at_once(self):
        barrier = threading.Barrier(2)
        results, errors = [], []

        def run():
            threading.current_thread().testing = True
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(timeout=20)
                    moves, _forms = env[
                        "account.move"
                    ]._cron_sales_closing_fapiao_query(commit=True)
                    results.append(moves.ids)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors)
        queried = [move_id for ids in results for move_id in ids]
        self.assertEqual(sorted(queried), sorted(self.ids["moves"]))
        self.assertEqual(self.simulator.calls.count(nuonuo.QUERY), 2)
        self.assertEqual(
            self._numbers(), ["26312999000000000000", "26312999000000000001"]
        )
