from datetime import timedelta
from unittest.mock import patch

from odoo import Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import html2plaintext

from .report_pdf_common import po_msgstr
from .test_order_rules import OrderRulesCase


class InvoicingCase(OrderRulesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "sales_closing_invoice_policy": "delivery",
                "sales_closing_invoice_post": False,
                "sales_closing_invoice_send": False,
                "sales_closing_credit_block": False,
            }
        )
        cls.customer.email = "rule.customer@example.com"
        cls.goods = cls.env["product.product"].create(
            {
                "name": "Auto Good",
                "type": "consu",
                "list_price": 50.0,
                "invoice_policy": "delivery",
                "taxes_id": False,
            }
        )
        cls.service = cls.env["product.product"].create(
            {
                "name": "Auto Service",
                "type": "service",
                "list_price": 30.0,
                "invoice_policy": "order",
                "taxes_id": False,
            }
        )
        cls.Invoicing = cls.env["sales.closing.invoicing"]

    def _sale(self, lines, partner=None, confirm=True, date_order=None):
        """An order of ``lines``: ``[(product, qty, price)]``."""
        values = {
            "partner_id": (partner or self.customer).id,
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "price_unit": price,
                    }
                )
                for product, qty, price in lines
            ],
        }
        if date_order:
            values["date_order"] = date_order
        order = self.env["sale.order"].with_company(self.company).create(values)
        if confirm:
            order.action_confirm()
            if date_order:
                order.date_order = date_order
        return order

    def _deliver(self, order, qty):
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        picking.move_ids.quantity = qty
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True).button_validate()
        return picking

    def _return(self, picking, qty):
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        wizard.product_return_moves.quantity = qty
        back = wizard._create_return()
        back.move_ids.quantity = qty
        back.move_ids.picked = True
        back.button_validate()
        return back

    def _run(self):
        self.env.flush_all()
        count = self.Invoicing._cron_invoice()
        self.env.invalidate_all()
        return count

    def _auto_invoices(self, order):
        return order.invoice_ids.filtered("sales_closing_auto").sorted("id")


@tagged("post_install", "-at_install")
class TestInvoicing(InvoicingCase):
    def test_manual_policy_does_nothing(self):
        self.company.sales_closing_invoice_policy = "manual"
        order = self._sale([(self.service, 2, 30.0)])
        self._run()
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.sales_closing_invoice_policy, "manual")

    def test_partner_overrides_company(self):
        self.company.sales_closing_invoice_policy = "manual"
        self.customer.with_company(
            self.company
        ).sales_closing_invoice_policy = "confirm"
        order = self._sale([(self.service, 2, 30.0)])
        self.assertEqual(order.sales_closing_invoice_policy, "confirm")
        self._run()
        self.assertEqual(len(order.invoice_ids), 1)
        # another company keeps its own setting for the same customer
        self.assertFalse(
            self.customer.with_company(self.other_company).sales_closing_invoice_policy
        )

    def test_confirm_policy(self):
        self.company.sales_closing_invoice_policy = "confirm"
        order = self._sale([(self.service, 3, 30.0), (self.goods, 5, 50.0)])
        self._run()
        invoice = self._auto_invoices(order)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.invoice_line_ids.mapped("quantity"), [3.0])
        # the goods follow as they are delivered
        self._deliver(order, 5)
        self._run()
        invoices = self._auto_invoices(order)
        self.assertEqual(len(invoices), 2)
        self.assertEqual(invoices[1].invoice_line_ids.mapped("quantity"), [5.0])
        self.assertEqual(order.invoice_status, "invoiced")

    def test_delivery_policy_partial_and_return(self):
        self.company.sales_closing_invoice_post = True
        order = self._sale([(self.goods, 10, 50.0), (self.service, 1, 30.0)])
        self._run()
        # nothing delivered yet: the service waits for the first delivery
        self.assertFalse(order.invoice_ids)
        first = self._deliver(order, 6)
        self._run()
        invoice = self._auto_invoices(order)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(
            sorted(invoice.invoice_line_ids.mapped("quantity")), [1.0, 6.0]
        )
        goods_line = order.order_line.filtered(
            lambda line: line.product_id == self.goods
        )
        self.assertEqual(goods_line.sales_closing_auto_qty, 6.0)
        self._deliver(order, 4)
        self._run()
        invoices = self._auto_invoices(order)
        self.assertEqual(len(invoices), 2)
        self.assertEqual(invoices[1].invoice_line_ids.quantity, 4.0)
        # a return of 3: a credit note of 3
        self._return(first, 3)
        self.assertEqual(goods_line.qty_delivered, 7.0)
        self._run()
        invoices = self._auto_invoices(order)
        self.assertEqual(len(invoices), 3)
        refund = invoices[2]
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.invoice_line_ids.quantity, 3.0)
        self.assertEqual(goods_line.sales_closing_auto_qty, 7.0)
        self.assertEqual(goods_line.qty_invoiced, 7.0)
        self.assertEqual(order.amount_invoiced, 7 * 50.0 + 30.0)

    def test_period_batch_groups_per_customer_and_period(self):
        self.company.write(
            {
                "sales_closing_invoice_policy": "period",
                "sales_closing_period_kind": "month",
            }
        )
        other = self.env["res.partner"].create({"name": "Other Customer"})
        today = fields.Date.context_today(self.Invoicing)
        last_month = fields.Datetime.to_datetime(
            today.replace(day=1) - timedelta(days=3)
        )
        two_months = fields.Datetime.to_datetime(
            (today.replace(day=1) - timedelta(days=35)).replace(day=10)
        )
        a1 = self._sale([(self.service, 1, 30.0)], date_order=last_month)
        a2 = self._sale([(self.service, 2, 30.0)], date_order=last_month)
        a_old = self._sale([(self.service, 4, 30.0)], date_order=two_months)
        b1 = self._sale([(self.service, 3, 30.0)], partner=other, date_order=last_month)
        current = self._sale([(self.service, 5, 30.0)])
        self._run()
        self.assertEqual(len(a1.invoice_ids), 1)
        self.assertEqual(a1.invoice_ids, a2.invoice_ids)
        self.assertEqual(
            sorted(a1.invoice_ids.invoice_line_ids.mapped("quantity")), [1.0, 2.0]
        )
        self.assertEqual(len(a_old.invoice_ids), 1)
        self.assertNotEqual(a_old.invoice_ids, a1.invoice_ids)
        self.assertEqual(len(b1.invoice_ids), 1)
        self.assertNotEqual(b1.invoice_ids, a1.invoice_ids)
        self.assertFalse(current.invoice_ids)
        self.assertEqual(
            set(a1.invoice_ids.invoice_origin.split(", ")), {a1.name, a2.name}
        )

    def test_auto_post_and_send(self):
        self.company.write(
            {"sales_closing_invoice_post": True, "sales_closing_invoice_send": True}
        )
        order = self._sale([(self.goods, 2, 50.0)])
        self._deliver(order, 2)
        self._run()
        invoice = self._auto_invoices(order)
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(invoice.is_move_sent)
        message = invoice.message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )
        self.assertEqual(len(message), 1)
        self.assertIn(invoice.name.replace("/", "_"), message.attachment_ids.name)
        self.assertTrue(
            self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        )

    def test_send_without_email_flags_the_order(self):
        self.company.write(
            {"sales_closing_invoice_post": True, "sales_closing_invoice_send": True}
        )
        self.customer.email = False
        order = self._sale([(self.goods, 2, 50.0)])
        self._deliver(order, 2)
        self._run()
        self.assertEqual(self._auto_invoices(order).state, "posted")
        self.assertIn("no email address", order.sales_closing_invoice_error)

    def test_sms_where_the_sms_module_is_installed(self):
        # sms is not a dependency: the template database has it through
        # sale_sms / stock_sms, so the SMS path runs here
        self.assertIn("sms.sms", self.env)
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.sales_closing_sms_installed)
        self.company.write(
            {"sales_closing_invoice_post": True, "sales_closing_invoice_sms": True}
        )
        self.customer.phone = "+32 456 12 34 56"
        no_phone = self.env["res.partner"].create({"name": "No Phone"})
        order = self._sale([(self.goods, 2, 50.0)])
        other = self._sale([(self.goods, 1, 50.0)], partner=no_phone)
        self._deliver(order, 2)
        self._deliver(other, 1)
        self._run()
        invoice = self._auto_invoices(order)
        self.assertEqual(invoice.state, "posted")
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn(invoice.name, sms.body)
        self.assertEqual(sms.number.replace(" ", ""), "+32456123456")
        self.assertFalse(order.sales_closing_invoice_error)
        self.assertIn("no mobile number", other.sales_closing_invoice_error)

    def test_one_invoice_per_order_outside_period_batch(self):
        first = self._sale([(self.goods, 1, 50.0)])
        second = self._sale([(self.goods, 2, 50.0)])
        self._deliver(first, 1)
        self._deliver(second, 2)
        self._run()
        self.assertEqual(len(first.invoice_ids), 1)
        self.assertEqual(len(second.invoice_ids), 1)
        self.assertNotEqual(first.invoice_ids, second.invoice_ids)

    def test_double_run_is_idempotent(self):
        order = self._sale([(self.goods, 4, 50.0)])
        self._deliver(order, 4)
        self._run()
        self._run()
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertFalse(self.Invoicing._candidates(order_ids=order.ids))

    def test_credit_note_is_not_invoiced_again(self):
        """OCA sale-workflow #4104."""
        self.company.sales_closing_invoice_post = True
        order = self._sale([(self.goods, 4, 50.0)])
        self._deliver(order, 4)
        self._run()
        invoice = order.invoice_ids
        invoice._reverse_moves(cancel=True)
        line = order.order_line
        self.assertEqual(line.qty_to_invoice, 4.0)  # Odoo asks again
        self.assertEqual(order.invoice_status, "to invoice")
        self.assertFalse(self.Invoicing._candidates(order_ids=order.ids))
        self._run()
        self.assertEqual(len(order.invoice_ids), 2)  # invoice + credit note
        self.assertEqual(line.qty_invoiced, 0.0)
        # a user may still invoice it by hand
        self.assertFalse(order.sales_closing_invoice_error)

    def test_reset_invoice_is_never_posted_again(self):
        """OCA sale-workflow #1492."""
        self.company.sales_closing_invoice_post = True
        order = self._sale([(self.goods, 4, 50.0)])
        self._deliver(order, 2)
        self._run()
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        invoice.button_draft()
        self.assertTrue(invoice.sales_closing_user_reset)
        self._deliver(order, 2)
        self._run()
        self.assertEqual(invoice.state, "draft")
        second = self._auto_invoices(order) - invoice
        self.assertEqual(second.state, "posted")
        # nor when a user retries the order
        order.action_sales_closing_invoice_now()
        self.assertEqual(invoice.state, "draft")

    def test_draft_left_by_a_failed_post_is_posted_on_retry(self):
        self.company.sales_closing_invoice_post = True
        order = self._sale([(self.goods, 2, 50.0)])
        self._deliver(order, 2)
        original = type(self.env["account.move"]).action_post

        def failing_post(moves):
            raise RuntimeError("Posting refused for the test")

        with patch.object(type(self.env["account.move"]), "action_post", failing_post):
            self._run()
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "draft")
        self.assertIn("Posting refused for the test", order.sales_closing_invoice_error)
        self.assertIn(invoice.name or "", order.sales_closing_invoice_error)
        self.assertTrue(
            order.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("sales_closing.mail_activity_invoicing_failed")
                )
            )
        )
        # flagged: the scheduled action leaves it alone
        self.assertFalse(self.Invoicing._candidates(order_ids=order.ids))
        with patch.object(type(self.env["account.move"]), "action_post", original):
            order.action_sales_closing_invoice_now()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(order.sales_closing_invoice_error)
        self.assertFalse(order.activity_ids)

    def test_no_payment_is_ever_registered(self):
        """OCA sale-workflow #4588: the automation registers no payment."""
        self.company.sales_closing_invoice_post = True
        order = self._sale([(self.goods, 2, 0.01)])
        self._deliver(order, 2)
        payments = self.env["account.payment"].search_count([])
        self._run()
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(self.env["account.payment"].search_count([]), payments)


@tagged("post_install", "-at_install")
class TestInvoicingFailures(InvoicingCase):
    def test_failure_is_flagged_and_others_go_through(self):
        good = self._sale([(self.goods, 2, 50.0)])
        bad = self._sale([(self.goods, 2, 50.0)])
        self._deliver(good, 2)
        self._deliver(bad, 2)
        original = type(self.env["sale.order"])._prepare_invoice

        def prepare(order):
            if order == bad:
                raise RuntimeError("No sale journal for the test")
            return original(order)

        with patch.object(type(self.env["sale.order"]), "_prepare_invoice", prepare):
            self._run()
        self.assertEqual(len(good.invoice_ids), 1)
        self.assertFalse(good.sales_closing_invoice_error)
        self.assertFalse(bad.invoice_ids)
        self.assertIn(bad.name, bad.sales_closing_invoice_error)
        self.assertIn("No sale journal for the test", bad.sales_closing_invoice_error)
        activity = bad.activity_ids
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("sales_closing.mail_activity_invoicing_failed"),
        )
        self.assertEqual(activity.user_id, bad.user_id)
        self.assertIn(
            bad,
            self.env["sale.order"].search(
                [("sales_closing_invoice_error", "!=", False)]
            ),
        )
        # the flagged order's quantity was not counted as invoiced
        self.assertEqual(bad.order_line.sales_closing_auto_qty, 0.0)

    def test_zero_price_is_flagged_by_the_cron(self):
        order = self._sale([(self.goods, 2, 0.0)])
        self._deliver(order, 2)
        self._run()
        self.assertFalse(order.invoice_ids)
        self.assertIn(order.name, order.sales_closing_invoice_error)
        self.assertIn("Auto Good", order.sales_closing_invoice_error)
        self.assertIn("price is zero", order.sales_closing_invoice_error)

    def test_activity_in_the_salespersons_language(self):
        """An English run flags the order of a Chinese salesperson: the
        order's error reads in English, the salesperson's activity in
        Chinese (issue #22 item 6)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.sales_user.lang = "zh_CN"
        order = self._sale([(self.goods, 2, 0.0)])
        order.user_id = self.sales_user
        self._deliver(order, 2)
        self.Invoicing = self.Invoicing.with_context(lang="en_US")
        self._run()
        english = (
            f"Order {order.name}, line Auto Good: the unit price is zero; "
            "invoice it by hand if it is meant to be free."
        )
        self.assertEqual(order.sales_closing_invoice_error, english)
        chinese = po_msgstr(
            "sales_closing",
            "Order %(order)s, line %(line)s: the unit price is zero; invoice "
            "it by hand if it is meant to be free.",
        ) % {"order": order.name, "line": "Auto Good"}
        activity = order.activity_ids
        self.assertEqual(activity.user_id, self.sales_user)
        self.assertEqual(html2plaintext(activity.note).strip(), chinese)
        self.assertNotIn("price", activity.note)

    def test_bad_input_raises_for_a_user(self):
        order = self._sale([(self.goods, 2, 0.0)])
        self._deliver(order, 2)
        with self.assertRaisesRegex(UserError, f"{order.name}.*Auto Good.*zero"):
            order.action_sales_closing_invoice_now()
        self.assertFalse(order.invoice_ids)

    def test_currency_mismatch(self):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", self.company.currency_id.id)], limit=1)
        )
        currency.active = True
        journal = self.env["account.journal"].create(
            {
                "name": "Foreign sales",
                "code": "FSAJ",
                "type": "sale",
                "currency_id": currency.id,
                "company_id": self.company.id,
            }
        )
        order = self._sale([(self.goods, 2, 50.0)])
        order.journal_id = journal
        self.assertEqual(order.journal_id.currency_id, currency)
        self.assertNotEqual(order.currency_id, currency)
        self._deliver(order, 2)
        self.assertTrue(order.order_line.qty_to_invoice)
        self.assertEqual(order.sales_closing_invoice_policy, "delivery")
        with self.assertRaisesRegex(UserError, f"{order.name}.*{currency.name}"):
            order.action_sales_closing_invoice_now()
        self._run()
        self.assertFalse(order.invoice_ids)
        self.assertIn(currency.name, order.sales_closing_invoice_error)

    def test_negative_quantity(self):
        order = self._sale([(self.service, 2, 30.0)], confirm=False)
        order.action_confirm()
        # a negative line added after the confirmation
        order.order_line = [
            Command.create(
                {
                    "product_id": self.service.id,
                    "product_uom_qty": -1,
                    "price_unit": 30.0,
                }
            )
        ]
        with self.assertRaisesRegex(UserError, f"{order.name}.*negative"):
            order.action_sales_closing_invoice_now()

    def test_salesperson_retries_a_flagged_order(self):
        self.company.sales_closing_invoice_post = True
        order = self._sale([(self.goods, 2, 0.0)])
        order.user_id = self.sales_user
        self._deliver(order, 2)
        self._run()
        self.assertTrue(order.sales_closing_invoice_error)
        self.assertEqual(order.activity_ids.user_id, self.sales_user)
        order.order_line.price_unit = 40.0
        action = order.with_user(self.sales_user).action_sales_closing_invoice_now()
        invoice = order.invoice_ids
        self.assertEqual(action["res_id"], invoice.id)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_untaxed, 80.0)
        self.assertFalse(order.sales_closing_invoice_error)
        self.assertFalse(order.activity_ids)

    def test_retry_needs_a_confirmed_order(self):
        order = self._sale([(self.service, 2, 30.0)], confirm=False)
        with self.assertRaisesRegex(UserError, "not confirmed"):
            order.action_sales_closing_invoice_now()


@tagged("post_install", "-at_install")
class TestInvoicingConcurrency(InvoicingCase):
    """Two transactions never take the same order (SKIP LOCKED).

    Needs committed data, so it works in its own cursors and removes what
    it made.
    """

    def test_skip_locked(self):
        registry = self.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {})
            company = env["res.company"].browse(self.company.id)
            partner = env["res.partner"].create({"name": "Concurrent Customer"})
            partner.with_company(company).sales_closing_invoice_policy = "confirm"
            product = env["product.product"].create(
                {
                    "name": "Concurrent Service",
                    "type": "service",
                    "invoice_policy": "order",
                    "taxes_id": False,
                }
            )
            order = (
                env["sale.order"]
                .with_company(company)
                .create(
                    {
                        "partner_id": partner.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "price_unit": 10.0}
                            )
                        ],
                    }
                )
            )
            order.action_confirm()
            ids = {"order": order.id, "partner": partner.id, "product": product.id}
        try:
            with registry.cursor() as cr1, registry.cursor() as cr2:
                Inv1 = api.Environment(cr1, self.env.uid, {})["sales.closing.invoicing"]
                Inv2 = api.Environment(cr2, self.env.uid, {})["sales.closing.invoicing"]
                self.assertEqual(
                    Inv1._candidates(order_ids=[ids["order"]]), [ids["order"]]
                )
                # the first run holds the order: the second one skips it
                self.assertEqual(Inv2._candidates(order_ids=[ids["order"]]), [])
                Inv1._process(Inv1.env["sale.order"].browse(ids["order"]))
                cr1.commit()
                cr2.rollback()
                # once invoiced, the second run finds nothing to do
                self.assertEqual(Inv2._candidates(order_ids=[ids["order"]]), [])
                order2 = Inv2.env["sale.order"].browse(ids["order"])
                self.assertEqual(len(order2.invoice_ids), 1)
                self.assertEqual(order2.order_line.sales_closing_auto_qty, 1.0)
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, self.env.uid, {})
                order = env["sale.order"].browse(ids["order"])
                order.invoice_ids.filtered(lambda m: m.state == "draft").unlink()
                order._action_cancel()
                order.unlink()
                env["product.product"].browse(ids["product"]).unlink()
                env["res.partner"].browse(ids["partner"]).unlink()
