"""Alipay and WeChat Pay are set up in Odoo's accounting like Odoo's own providers."""

from odoo import Command
from odoo.tests import tagged

from .common_cn import CnPaymentCommon


@tagged("post_install", "-at_install")
class TestProviderSetup(CnPaymentCommon):
    def test_payment_methods_exist(self):
        for code in ("alipay", "wechatpay"):
            method = self.env["account.payment.method"].search(
                [("code", "=", code), ("payment_type", "=", "inbound")]
            )
            self.assertEqual(len(method), 1, code)

    def _paid_invoice(self, provider, reference):
        product = self.env["product.product"].create({"name": "Tea", "list_price": 1})
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "currency_id": self.cny.id,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": product.id, "price_unit": 88.8, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        tx = self.make_tx(
            provider,
            reference,
            amount=invoice.amount_total,
            invoice_ids=[Command.set(invoice.ids)],
        )
        if provider.code == "alipay":
            log = self.Notification._sales_closing_process_alipay(
                self.alipay_notice(tx)
            )
        else:
            log = self.Notification._sales_closing_process_wechatpay(
                *self.wechat_notice(tx)
            )
        self.assertEqual(log.state, "accepted")
        tx._post_process()
        return invoice, tx

    def test_confirmed_payment_is_posted_and_reconciled(self):
        for provider, reference in (
            (self.alipay, "INV-SETUP-A"),
            (self.wechatpay, "INV-SETUP-W"),
        ):
            invoice, tx = self._paid_invoice(provider, reference)
            self.assertTrue(tx.is_post_processed, reference)
            self.assertTrue(tx.payment_id, reference)
            self.assertIn(tx.payment_id.state, ("in_process", "paid"), reference)
            self.assertEqual(tx.payment_id.amount, invoice.amount_total)
            self.assertEqual(
                tx.payment_id.payment_method_line_id.payment_provider_id, provider
            )
            self.assertIn(invoice.payment_state, ("paid", "in_payment"), reference)
