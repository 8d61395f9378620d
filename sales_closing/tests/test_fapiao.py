"""China e-fapiao (数电票) in Odoo: export to the batch-issue template,
issued invoices back, red letters, the check on the checklist."""

import base64
import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from stdnum.cn import uscc

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from .fapiao_samples import (
    LINE_HEADERS,
    issued_ofd,
    issued_xml,
    make_template,
    summary_workbook,
    zip_of,
)
from .test_engine_fapiao_provider import APP_KEY, APP_SECRET, TOKEN, NuonuoSimulator

SELLER_VAT = "91310115MA1K4ABC2" + uscc.calc_check_digit("91310115MA1K4ABC2")
BUYER_VAT = "91110108MA01ABCDE" + uscc.calc_check_digit("91110108MA01ABCDE")
DAY = date(2026, 1, 15)


def sheet_rows(data, sheet_name):
    """Rows of a data sheet as {header: value}, columns found by header."""
    sheet = load_workbook(io.BytesIO(data))[sheet_name]
    headers = {
        cell.column: "".join(str(cell.value).split()) for cell in sheet[3] if cell.value
    }
    rows = []
    for row in sheet.iter_rows(min_row=4):
        values = {headers[c.column]: c.value for c in row if c.column in headers}
        if any(values.values()):
            rows.append(values)
    return rows


class FapiaoCase(TransactionCase):
    """A company issuing e-fapiao, customers, products, taxes and helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.write(
            {
                "vat": SELLER_VAT,
                "sales_closing_fapiao_enabled": True,
                "sales_closing_fapiao_template": base64.b64encode(make_template()),
                "sales_closing_fapiao_template_name": "template.xlsx",
            }
        )
        cls.cny = cls.env.ref("base.CNY")
        cls.cny.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.cny.id, "name": "2025-01-01", "rate": 7.0}
        )
        cls.accountant = new_test_user(
            cls.env,
            "fp_accountant",
            groups="sales_closing.group_closing_accountant,account.group_account_invoice",
        )
        cls.special = cls.env["res.partner"].create(
            {
                "name": "北京华信科技有限公司",
                "is_company": True,
                "vat": BUYER_VAT,
                "sales_closing_fapiao_type": "01",
                "email": "finance@huaxin.example.com",
            }
        )
        cls.person = cls.env["res.partner"].create({"name": "张三"})
        group = cls.env["account.tax.group"].create({"name": "VAT"})

        def tax(rate, included=False):
            return cls.env["account.tax"].create(
                {
                    "name": f"VAT {rate}%{' incl.' if included else ''}",
                    "amount": rate,
                    "type_tax_use": "sale",
                    "tax_group_id": group.id,
                    "price_include_override": "tax_included"
                    if included
                    else "tax_excluded",
                }
            )

        cls.tax13, cls.tax9, cls.tax6, cls.tax0 = (tax(r) for r in (13, 9, 6, 0))
        cls.tax13_incl, cls.tax6_incl = tax(13, True), tax(6, True)
        cls.tax7 = tax(7)

        def product(name, code):
            return cls.env["product.product"].create(
                {"name": name, "sales_closing_fapiao_tax_code": code}
            )

        cls.desk = product("Desk", "1050201990000000000")
        cls.rice = product("Rice", "1010101020000000000")
        cls.advice = product("Advice", "3040201990000000000")
        cls.book = product("Book", "1060201000000000000")
        cls.nocode = cls.env["product.product"].create({"name": "No Code"})
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "sale")], limit=1
        )

    @classmethod
    def invoice(cls, partner, lines, day=DAY, currency=None, post=True):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "journal_id": cls.journal.id,
                "invoice_date": day,
                "currency_id": (currency or cls.cny).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "discount": discount,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                    for product, quantity, price, discount, tax in lines
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def export(self, moves, user=None):
        wizard = (
            self.env["sales.closing.fapiao.export"]
            .with_user(user or self.accountant)
            .create({"move_ids": [Command.set(moves.ids)]})
        )
        action = wizard.action_export()
        self.assertIn(f"/web/content/{wizard.attachment_id.id}", action["url"])
        return wizard.attachment_id.raw

    def import_files(self, files, user=None):
        env = self.env(user=user or self.accountant)
        attachments = env["ir.attachment"].create(
            [{"name": name, "raw": data} for name, data in files]
        )
        wizard = env["sales.closing.fapiao.import"].create(
            {"attachment_ids": [Command.set(attachments.ids)]}
        )
        wizard.action_import()
        return wizard


@tagged("post_install", "-at_install")
class TestFapiao(FapiaoCase):
    def test_export_cell_by_cell(self):
        special = self.invoice(
            self.special,
            [
                (self.desk, 3, 450.0, 10.0, self.tax13),  # 1,350 less 10 %
                (self.rice, 10, 12.5, 0.0, self.tax9),
                (self.advice, 1, 1000.0, 0.0, self.tax6),
            ],
        )
        normal = self.invoice(
            self.person,
            [
                (self.desk, 2, 113.0, 0.0, self.tax13_incl),
                (self.advice, 1.5, 106.0, 20.0, self.tax6_incl),
            ],
        )
        normal_zero = self.invoice(self.person, [(self.book, 4, 25.0, 0.0, self.tax0)])
        moves = special | normal | normal_zero
        self.assertEqual(set(moves.mapped("sales_closing_fapiao_state")), {"to_export"})
        data = self.export(moves)
        heads = sheet_rows(data, "1-发票基本信息")
        self.assertEqual(len(heads), 3)
        for move, row in zip(moves, heads, strict=True):
            self.assertEqual(row["发票流水号"], move.sales_closing_fapiao_serial)
            self.assertEqual(row["发票流水号"], f"SCFP{move.id:012d}")
            self.assertIn(move.name, row["备注"])
            self.assertIn(move.sales_closing_fapiao_serial, row["备注"])
        self.assertEqual(heads[0]["发票类型"], "增值税专用发票")
        self.assertEqual(heads[0]["是否含税"], "否")
        self.assertEqual(heads[0]["购买方纳税人识别号"], BUYER_VAT)
        self.assertEqual(heads[0]["购买方名称"], "北京华信科技有限公司")
        self.assertEqual(heads[0]["购买方邮箱"], "finance@huaxin.example.com")
        self.assertEqual(heads[1]["发票类型"], "普通发票")
        self.assertEqual(heads[1]["是否含税"], "是")
        self.assertIsNone(heads[1]["购买方纳税人识别号"])
        self.assertEqual(heads[2]["是否含税"], "否")
        lines = sheet_rows(data, "2-发票明细信息")
        expected = [
            # name, code, qty, price, amount, rate, discount
            ("Desk", "1050201990000000000", "3", "450", "1350.00", "0.13", "135.00"),
            ("Rice", "1010101020000000000", "10", "12.5", "125.00", "0.09", None),
            ("Advice", "3040201990000000000", "1", "1000", "1000.00", "0.06", None),
            ("Desk", "1050201990000000000", "2", "113", "226.00", "0.13", None),
            ("Advice", "3040201990000000000", "1.5", "106", "159.00", "0.06", "31.80"),
            ("Book", "1060201000000000000", "4", "25", "100.00", "0", None),
        ]
        serials = [special, special, special, normal, normal, normal_zero]
        self.assertEqual(len(lines), len(expected))
        for row, move, values in zip(lines, serials, expected, strict=True):
            name, code, qty, price, amount, rate, discount = values
            self.assertEqual(row["发票流水号"], move.sales_closing_fapiao_serial)
            self.assertEqual(row["项目名称"], name)
            self.assertEqual(row["商品和服务税收编码"], code)
            self.assertEqual(row["单位"], "Units")
            self.assertEqual(row["数量"], qty)
            self.assertEqual(row["单价"], price)
            self.assertEqual(row["金额"], amount)
            self.assertEqual(row["税率"], rate)
            self.assertEqual(row["折扣金额"], discount)
        # with tax: 金额 - 折扣 is Odoo's total of the line
        self.assertEqual(
            Decimal("159.00") - Decimal("31.80"),
            Decimal(str(normal.invoice_line_ids[1].price_total)),
        )
        self.assertEqual(set(moves.mapped("sales_closing_fapiao_state")), {"exported"})
        # re-export keeps the serial (the platform's idempotency key)
        serial = special.sales_closing_fapiao_serial
        again = self.export(special)
        self.assertEqual(special.sales_closing_fapiao_serial, serial)
        self.assertEqual(sheet_rows(again, "1-发票基本信息")[0]["发票流水号"], serial)

    def test_export_refusals_whole_batch(self):
        good = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        cases = [
            (
                self.invoice(self.person, [(self.nocode, 1, 10.0, 0.0, self.tax13)]),
                "line 1 (No Code)",
            ),
            (
                self.invoice(
                    self.env["res.partner"].create(
                        {"name": "Special No ID", "sales_closing_fapiao_type": "01"}
                    ),
                    [(self.desk, 1, 10.0, 0.0, self.tax13)],
                ),
                "Special No ID",
            ),
            (
                self.invoice(
                    self.person,
                    [(self.desk, 1, 10.0, 0.0, self.tax13)],
                    currency=self.company.currency_id,
                ),
                "USD",
            ),
            (
                self.invoice(self.person, [(self.desk, 1, 10.0, 0.0, self.tax7)]),
                "line 1 (Desk)",
            ),
        ]
        for bad, needle in cases:
            with self.assertRaises(UserError) as caught:
                self.export(good | bad)
            self.assertIn(bad.name, str(caught.exception))
            self.assertIn(needle, str(caught.exception))
        self.assertEqual(good.sales_closing_fapiao_state, "to_export")
        self.assertFalse(good.sales_closing_fapiao_serial)
        # a template without a header is refused, naming it
        self.company.sales_closing_fapiao_template = base64.b64encode(
            make_template(line_headers=[h for h in LINE_HEADERS if h != "税率"])
        )
        with self.assertRaises(UserError) as caught:
            self.export(good)
        self.assertIn("2-发票明细信息 / 税率", str(caught.exception))

    def test_off_by_default(self):
        """A company that does not switch e-fapiao on sees no change."""
        self.company.sales_closing_fapiao_enabled = False
        move = self.invoice(self.person, [(self.nocode, 1, 10.0, 0.0, self.tax7)])
        self.assertFalse(move.sales_closing_fapiao_state)
        self.assertFalse(move.sales_closing_fapiao_serial)
        move.button_draft()  # Odoo's flow unchanged
        self.assertEqual(move.state, "draft")
        period = self.env["sales.closing.period"].create(
            {
                "name": "2026-01 no fapiao",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
            }
        )
        period.action_run_checks()
        self.assertNotIn("fapiao_missing", period.check_line_ids.kind_id.mapped("code"))
        move.action_post()
        with self.assertRaises(UserError):
            self.export(move)

    def test_fields_set_by_workflow_only(self):
        move = self.invoice(self.person, [(self.desk, 1, 10.0, 0.0, self.tax13)])
        with self.assertRaises(AccessError):
            move.with_user(self.accountant).write(
                {"sales_closing_fapiao_number": "1" * 20}
            )
        with self.assertRaises(ValidationError):
            self.desk.product_tmpl_id.sales_closing_fapiao_tax_code = "123"
        # credentials are for administrators only
        self.company.sales_closing_fapiao_nuonuo_app_secret = "secret"
        with self.assertRaises(AccessError):
            self.company.with_user(self.accountant).read(
                ["sales_closing_fapiao_nuonuo_app_secret"]
            )
        clerk = new_test_user(
            self.env, "fp_clerk", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.env["sales.closing.fapiao.export"].with_user(clerk).create(
                {"move_ids": [Command.set(move.ids)]}
            ).action_export()

    # ------------------------------------------------------------------
    def test_round_trip_50(self):
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {n}",
                    "is_company": True,
                    "vat": f"9111010{n:02d}MA01ABC"
                    + uscc.calc_check_digit(f"9111010{n:02d}MA01ABC"),
                }
                for n in range(10)
            ]
        )
        taxes = [self.tax13, self.tax9, self.tax6, self.tax0, self.tax13_incl]
        moves = self.env["account.move"]
        for n in range(50):
            moves |= self.invoice(
                partners[n % 10],
                [
                    (self.desk, 1 + n % 3, 100.0 + n, 5.0 * (n % 2), taxes[n % 5]),
                    (self.rice, 2, 10.25, 0.0, taxes[(n + 1) % 4]),
                ],
                post=False,
            )
        moves.action_post()
        self.export(moves)
        self.assertEqual(set(moves.mapped("sales_closing_fapiao_state")), {"exported"})
        files = []
        summary = []
        expected = {}
        for n, move in enumerate(moves):
            number = f"26312000{n:012d}"
            expected[move] = number
            total, tax = f"{move.amount_total:.2f}", f"{move.amount_tax:.2f}"
            untaxed = f"{move.amount_untaxed:.2f}"
            vat = move.partner_id.vat
            if n == 7:  # one fen off: to review
                total = f"{move.amount_total + 0.01:.2f}"
                tax = f"{move.amount_tax + 0.01:.2f}"
            # the serial in the remark for most, none for every 5th
            remark = (
                "" if n % 5 == 4 else f"{move.name} {move.sales_closing_fapiao_serial}"
            )
            if n < 30:
                lines = [
                    (
                        line.product_id.name,
                        str(line.quantity),
                        str(line.price_unit),
                        f"{line.price_subtotal:.2f}",
                        # both TaxRate forms
                        f"{line.tax_ids.amount / 100:g}"
                        if n % 2
                        else f"{line.tax_ids.amount:g}%",
                        f"{line.price_total - line.price_subtotal:.2f}",
                    )
                    for line in move.invoice_line_ids
                ]
                issue_time = "2026-01-15" if n % 2 else "2026-01-15 10:20:30"
                files.append(
                    (
                        f"{number}.xml",
                        issued_xml(
                            number,
                            issue_time,
                            vat,
                            untaxed,
                            tax,
                            total,
                            remark,
                            lines,
                            seller_vat=SELLER_VAT,
                        ),
                    )
                )
            elif n < 40:
                files.append(
                    (
                        f"{number}.ofd",
                        issued_ofd(
                            number,
                            "2026-01-15",
                            vat,
                            untaxed,
                            tax,
                            total,
                            remark,
                            seller_vat=SELLER_VAT,
                        ),
                    )
                )
            else:
                summary.append(
                    {
                        "数电发票号码": number,
                        "销方识别号": SELLER_VAT,
                        "购方识别号": vat,
                        "购买方名称": move.partner_id.name,
                        "开票日期": "2026-01-15 09:30:00",
                        "金额": untaxed,
                        "税额": tax,
                        "价税合计": total,
                        "发票状态": "正常",
                        "是否正数发票": "是",
                        "备注": remark,
                    }
                )
        archive = zip_of(files + [(f"{expected[moves[0]]}.pdf", b"%PDF-1.4 fapiao")])
        wizard = self.import_files(
            [("issued.zip", archive), ("export.xlsx", summary_workbook(summary))]
        )
        self.assertEqual(wizard.linked_count, 49)
        self.assertEqual(wizard.review_count, 1)
        review = wizard.line_ids.filtered(lambda line: line.status == "review")
        self.assertEqual(review.move_id, moves[7])
        self.assertEqual(review.reason, "amounts")
        self.assertAlmostEqual(review.difference_total, 0.01)
        self.assertAlmostEqual(review.difference_tax, 0.01)
        for n, move in enumerate(moves):
            if n == 7:
                self.assertFalse(move.sales_closing_fapiao_number)
                self.assertEqual(move.sales_closing_fapiao_state, "exported")
                continue
            self.assertEqual(move.sales_closing_fapiao_number, expected[move])
            self.assertEqual(move.sales_closing_fapiao_state, "issued")
            self.assertEqual(move.sales_closing_fapiao_date, DAY)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "in", moves.ids)]
        )
        names = set(attachments.mapped("name"))
        self.assertIn(f"{expected[moves[0]]}.xml", names)
        self.assertIn(f"{expected[moves[0]]}.pdf", names)
        self.assertIn(f"{expected[moves[30]]}.ofd", names)
        # the same files again change nothing
        before = {
            move: (move.sales_closing_fapiao_number, move.write_date) for move in moves
        }
        second = self.import_files(
            [("issued.zip", archive), ("export.xlsx", summary_workbook(summary))]
        )
        self.assertEqual(second.linked_count, 0)
        self.assertEqual(second.unchanged_count, 49)
        self.assertEqual(second.review_count, 1)
        self.assertEqual(
            {
                move: (move.sales_closing_fapiao_number, move.write_date)
                for move in moves
            },
            before,
        )
        self.assertEqual(
            len(
                self.env["ir.attachment"].search(
                    [("res_model", "=", "account.move"), ("res_id", "in", moves.ids)]
                )
            ),
            len(attachments),
        )

    def test_bad_file_links_nothing(self):
        move = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        self.export(move)
        good = issued_xml(
            "26312000000000000099",
            "2026-01-15",
            BUYER_VAT,
            "100.00",
            "13.00",
            "113.00",
            move.sales_closing_fapiao_serial,
            seller_vat=SELLER_VAT,
        )
        bad = good.replace(b"<TotalTaxAm>13.00", b"<TotalTaxAm>x")
        with self.assertRaises(UserError) as caught:
            self.import_files(
                [("batch.zip", zip_of([("a.xml", good), ("b.xml", bad)]))]
            )
        self.assertIn("batch.zip/b.xml", str(caught.exception))
        self.assertIn("BasicInformation/TotalTaxAm", str(caught.exception))
        self.assertFalse(move.sales_closing_fapiao_number)

    # ------------------------------------------------------------------
    def test_red_letter(self):
        move = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        self.export(move)
        blue = "26312000000000000100"
        self.import_files(
            [
                (
                    "blue.xml",
                    issued_xml(
                        blue,
                        "2026-01-15",
                        BUYER_VAT,
                        "100.00",
                        "13.00",
                        "113.00",
                        move.sales_closing_fapiao_serial,
                        seller_vat=SELLER_VAT,
                    ),
                )
            ]
        )
        self.assertEqual(move.sales_closing_fapiao_state, "issued")
        self.assertFalse(move.show_reset_to_draft_button)
        for action in (move.button_draft, move.button_cancel):
            with self.assertRaises(UserError) as caught:
                action()
            self.assertIn(blue, str(caught.exception))
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": date(2026, 1, 20)})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.action_post()
        form = refund.sales_closing_fapiao_red_ids
        self.assertEqual(len(form), 1)
        self.assertEqual(form.blue_number, blue)
        self.assertEqual(form.origin_move_id, move)
        self.assertEqual(form.state, "draft")
        self.assertEqual(form.amount_tax, -13.0)
        with self.assertRaises(AccessError):
            form.with_user(self.accountant).write({"red_number": "9" * 20})
        form.with_user(self.accountant).action_entered()
        self.assertEqual((form.bureau_state, form.state), ("02", "pending"))
        form.with_user(self.accountant).action_confirmed()
        self.assertEqual((form.bureau_state, form.state), ("04", "confirmed"))
        red = "26312000000000000101"
        wizard = self.import_files(
            [
                (
                    "export.xlsx",
                    summary_workbook(
                        [
                            {
                                "数电发票号码": red,
                                "销方识别号": SELLER_VAT,
                                "购方识别号": BUYER_VAT,
                                "开票日期": "2026-01-21",
                                "金额": "-100.00",
                                "税额": "-13.00",
                                "价税合计": "-113.00",
                                "发票状态": "正常",
                                "是否正数发票": "否",
                                "备注": f"被红冲蓝字数电发票号码：{blue}",
                            }
                        ]
                    ),
                )
            ]
        )
        self.assertEqual(wizard.linked_count, 1)
        self.assertEqual(refund.sales_closing_fapiao_number, red)
        self.assertEqual(refund.sales_closing_fapiao_state, "red")
        self.assertEqual(form.red_number, red)
        self.assertEqual(form.red_date, date(2026, 1, 21))
        self.assertEqual(form.state, "issued")

    def test_check_on_checklist(self):
        moves = self.invoice(
            self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)]
        ) | self.invoice(self.person, [(self.book, 2, 50.0, 0.0, self.tax0)])
        period = self.env["sales.closing.period"].create(
            {
                "name": "2026-01 fapiao",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
            }
        )
        period.action_run_checks()
        line = period.check_line_ids.filtered(
            lambda line: line.kind_id.code == "fapiao_missing"
        )
        self.assertEqual(len(line), 1)
        # company currency (USD) at 7 CNY: 113 + 100 CNY
        self.assertEqual(line.count, 2)
        self.assertAlmostEqual(
            line.amount, sum(abs(m.amount_total_signed) for m in moves), places=2
        )
        self.export(moves[0])
        self.import_files(
            [
                (
                    "a.xml",
                    issued_xml(
                        "26312000000000000200",
                        "2026-01-15",
                        BUYER_VAT,
                        "100.00",
                        "13.00",
                        "113.00",
                        moves[0].sales_closing_fapiao_serial,
                        seller_vat=SELLER_VAT,
                    ),
                )
            ]
        )
        period.action_run_checks()
        self.assertEqual(line.count, 1)

    def test_nuonuo_provider_issue_once(self):
        simulator = NuonuoSimulator()
        self.addCleanup(simulator.stop)
        self.company.write(
            {
                "sales_closing_fapiao_provider": "nuonuo",
                "sales_closing_fapiao_nuonuo_app_key": APP_KEY,
                "sales_closing_fapiao_nuonuo_app_secret": APP_SECRET,
                "sales_closing_fapiao_nuonuo_token": TOKEN,
                "sales_closing_fapiao_nuonuo_url": simulator.url,
            }
        )
        move = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        move.with_user(self.accountant).action_sales_closing_fapiao_issue()
        # accepted, being issued: exported until queried
        self.assertEqual(move.sales_closing_fapiao_state, "exported")
        self.assertEqual(len(simulator.orders), 1)
        # a retry queries the serial first and never issues it again
        move.with_user(self.accountant).action_sales_closing_fapiao_issue()
        self.assertEqual(move.sales_closing_fapiao_state, "issued")
        self.assertEqual(move.sales_closing_fapiao_number, "26312000000000000001")
        self.assertEqual(
            simulator.calls.count("nuonuo.OpeMplatform.requestBillingNew"), 1
        )
        # the credentials stay hidden from the accountant
        with self.assertRaises(AccessError):
            self.company.with_user(self.accountant).read(
                ["sales_closing_fapiao_nuonuo_token"]
            )
