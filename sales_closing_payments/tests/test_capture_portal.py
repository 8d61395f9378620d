"""Paying a sales order from the portal twice (two tabs, double click, retry)."""

from odoo import Command
from odoo.tests import HttpCase, JsonRpcException, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestOrderPortalIdempotency(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.demo = (
            cls.env["payment.provider"]
            .sudo()
            .search(
                [("code", "=", "demo"), ("company_id", "=", cls.env.company.id)],
                limit=1,
            )
        )
        cls.demo.write(
            {
                "state": "test",
                "capture_manually": True,
                "payment_method_ids": [Command.link(cls.card.id)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Payer", "email": "payer@example.com"}
        )
        product = cls.env["product.product"].create(
            {"name": "Portal Good", "list_price": 80.0, "taxes_id": False}
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 2})
                ],
            }
        )
        cls.order._portal_ensure_token()

    def _pay(self):
        return self.make_jsonrpc_request(
            f"/my/orders/{self.order.id}/transaction",
            {
                "access_token": self.order.access_token,
                "provider_id": self.demo.id,
                "payment_method_id": self.card.id,
                "token_id": None,
                "amount": self.order.amount_total,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": self.order.get_portal_url(),
            },
        )

    def _transactions(self):
        return self.env["payment.transaction"].search(
            [("sale_order_ids", "in", self.order.ids)]
        )

    def test_second_tab_reuses_the_draft_then_refuses_a_second_charge(self):
        first = self._pay()
        second = self._pay()  # double click / second tab: same draft transaction
        self.assertEqual(first["reference"], second["reference"])
        tx = self._transactions()
        self.assertEqual(len(tx), 1)
        self.assertTrue(tx.sales_closing_idempotency_key)
        self.assertEqual(
            tx.sales_closing_idempotency_key,
            self.order._sales_closing_portal_payment_key(
                self.order.partner_invoice_id.id, self.order.amount_total
            ),
        )
        # once authorized at the provider, paying again is refused
        tx._set_authorized()
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "ValidationError"),
        ):
            self._pay()
        self.assertEqual(len(self._transactions()), 1)

    def test_failed_payment_can_be_paid_again(self):
        self._pay()
        tx = self._transactions()
        tx._set_error("Card refused")
        again = self._pay()
        self.assertNotEqual(again["reference"], tx.reference)
        self.assertEqual(len(self._transactions()), 2)
