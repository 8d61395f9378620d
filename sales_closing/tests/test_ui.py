from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_closing_menu_and_settings_tour(self):
        """Log in, open the Closing menu, then its Settings section."""
        self.start_tour("/odoo", "sales_closing_tour", login="admin")

    def test_run_checks_waive_and_close_tour(self):
        """Run the checks, waive the failing one with a reason, close."""
        period = self.env["sales.closing.period"].create(
            {"name": "TOUR-2026-01", "date_from": "2026-01-01", "date_to": "2026-01-31"}
        )
        customer = self.env["res.partner"].create({"name": "Tour Customer"})
        self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [(0, 0, {"name": "Goods", "price_unit": 80.0})],
            }
        )
        self.start_tour("/odoo", "sales_closing_close_tour", login="admin")
        self.assertEqual(period.state, "closed")
        waived = period.check_line_ids.filtered(lambda line: line.status == "waived")
        self.assertEqual(waived.kind_id.code, "draft_invoices")
        self.assertEqual(waived.waiver_reason, "Customer cancels the order in February")
        self.assertEqual(period.audit_log_ids.mapped("action"), ["close", "waive"])
