"""The e-fapiao column of the differences report (invoiced in Odoo vs issued
on the tax platform), for companies issuing China e-fapiao only."""

import base64
import io

import openpyxl

from odoo.tests import tagged

from odoo.addons.sales_closing.tests.test_engine_fapiao_provider import (
    NuonuoSimulator,
)
from odoo.addons.sales_closing.tests.test_fapiao_close import FapiaoCloseCase


@tagged("post_install", "-at_install")
class TestDifferencesFapiao(FapiaoCloseCase):
    def _xlsx(self):
        action = self.period.action_export_differences_xlsx()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        datas = self.env["ir.attachment"].browse(attachment_id).datas
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(datas)))

    def _fapiao_rows(self):
        return self.period.difference_ids.filtered(lambda row: row.area == "fapiao")

    def test_invoices_without_or_differing_from_their_fapiao(self):
        simulator = NuonuoSimulator()
        self.addCleanup(simulator.stop)
        missing = self.invoice(self.person, [(self.book, 2, 50.0, 0.0, self.tax0)])
        exported = self.invoice(self.special, [(self.desk, 1, 10.0, 0.0, self.tax13)])
        self.export(exported)
        issued = self.invoice(self.special, [(self.desk, 1, 100.0, 0.0, self.tax13)])
        self.issue_by_import(issued, "26312000000000000400")
        refund = self.refund(issued)  # its red e-fapiao not issued yet
        # issued through the provider, whose e-fapiao says 113.00 / 13.00
        # while Odoo's invoice is 226.00 / 26.00
        self.use_nuonuo(simulator)
        simulator.issued_amounts = ("113.00", "13.00")
        differs = self.invoice(self.special, [(self.desk, 2, 100.0, 0.0, self.tax13)])
        differs.with_user(self.accountant).action_sales_closing_fapiao_issue()
        differs.with_user(self.accountant).action_sales_closing_fapiao_issue()
        self.assertEqual(differs.sales_closing_fapiao_amount_total, 113.0)
        self.period.action_compute_differences()
        rows = {row.invoice_id: row for row in self._fapiao_rows()}
        self.assertEqual(set(rows), {missing, exported, refund, differs})
        self.assertNotIn(issued, rows)
        self.assertEqual(
            (rows[missing].kind, rows[missing].fapiao_reason),
            ("fapiao_not_issued", "not_sent"),
        )
        self.assertEqual(rows[missing].amount, 100.0)
        self.assertEqual(rows[missing].partner_id, self.person)
        self.assertEqual(rows[exported].fapiao_reason, "exported")
        self.assertAlmostEqual(rows[exported].amount, 11.3)
        self.assertEqual(rows[refund].fapiao_reason, "red_missing")
        self.assertAlmostEqual(rows[refund].amount, -113.0)
        row = rows[differs]
        self.assertEqual((row.kind, row.fapiao_reason), ("fapiao_amount", "total_tax"))
        self.assertEqual(row.fapiao_number, differs.sales_closing_fapiao_number)
        self.assertEqual(
            (row.expected_amount, row.actual_amount, row.amount, row.tax_difference),
            (226.0, 113.0, 113.0, 13.0),
        )
        # company currency at 7 CNY a dollar
        self.assertAlmostEqual(
            row.amount_company, 113.0 * differs.amount_total_signed / 226.0, places=2
        )
        # the checklist's differences item counts them with the others
        check = self.env.ref("sales_closing_reconcile.check_reconcile_differences")
        self.assertGreaterEqual(check._evaluate(self.period)["count"], 4)
        # the workbook has a sheet for them, with the e-fapiao columns
        book = self._xlsx()
        self.assertEqual(len(book.sheetnames), 4)
        sheet = book[book.sheetnames[3]]
        headers = [cell.value for cell in sheet[1]]
        self.assertEqual(
            headers[-3:], ["E-Fapiao Number", "E-Fapiao Reason", "Tax Difference"]
        )
        values = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=2)]
        self.assertEqual(len(values), 4)
        self.assertIn(
            [differs.name, row.fapiao_number, "Total and Tax Differ", 13.0],
            [[line[1], line[13], line[14], line[15]] for line in values],
        )

    def test_off_for_companies_without_e_fapiao(self):
        self.invoice(self.person, [(self.book, 2, 50.0, 0.0, self.tax0)])
        self.company.sales_closing_fapiao_enabled = False
        self.period.action_compute_differences()
        self.assertFalse(self._fapiao_rows())
        self.assertTrue(self.period.difference_ids)  # the unpaid invoice
        self.assertEqual(len(self._xlsx().sheetnames), 3)
