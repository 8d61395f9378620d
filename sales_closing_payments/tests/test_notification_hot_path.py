"""The notification hot path: what it caches and what it reads in one query."""

from odoo import Command
from odoo.tests import tagged

from ..engine.simulator import new_key_pair
from .common_cn import CnPaymentCommon


@tagged("post_install", "-at_install")
class TestNotificationHotPath(CnPaymentCommon):
    def cold(self):
        """Start like an HTTP request: nothing in the ORM cache."""
        self.env.flush_all()
        self.env.invalidate_all()

    def test_linked_order_and_invoice_get_the_message(self):
        """Links read with the row lock: Odoo's received message reaches both."""
        product = self.env["product.product"].create({"name": "Tea", "list_price": 1})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "currency_id": self.cny.id,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": self.partner.id}
        )
        tx = self.make_tx(
            self.alipay,
            "SO-HOT-1",
            sale_order_ids=[Command.set(order.ids)],
            invoice_ids=[Command.set(invoice.ids)],
        )
        self.cold()
        log = self.Notification._sales_closing_process_alipay(self.alipay_notice(tx))
        self.assertEqual(log.state, "accepted")
        self.assertEqual(tx.state, "done")
        for record in (order, invoice):
            self.assertIn(
                "SO-HOT-1", " ".join(record.message_ids.mapped("body")), record
            )

    def test_two_linked_orders_are_left_to_the_orm(self):
        product = self.env["product.product"].create({"name": "Tea", "list_price": 1})
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.partner.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
                for _index in range(2)
            ]
        )
        tx = self.make_tx(
            self.alipay, "SO-HOT-2", sale_order_ids=[Command.set(orders.ids)]
        )
        self.cold()
        self.Notification._sales_closing_process_alipay(self.alipay_notice(tx))
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.sale_order_ids, orders)
        for order in orders:
            self.assertIn("SO-HOT-2", " ".join(order.message_ids.mapped("body")))

    def test_cached_values_are_the_database_values(self):
        tx = self.make_tx(self.wechatpay, "SO-HOT-3", amount=12.34)
        self.cold()
        self.Notification._sales_closing_lock_transaction(
            self.wechatpay.id, "SO-HOT-3", "N-HOT-3"
        )
        cached = (tx.reference, tx.amount, tx.currency_id, tx.provider_id, tx.state)
        self.assertEqual(cached, ("SO-HOT-3", 12.34, self.cny, self.wechatpay, "draft"))
        self.assertEqual(tx.currency_id.decimal_places, 2)
        self.assertFalse(tx.sale_order_ids)
        self.assertFalse(tx.invoice_ids)

    def test_credentials_cache_dropped_on_provider_write(self):
        """A new Alipay public key applies to the next notification at once."""
        tx = self.make_tx(self.alipay, "SO-HOT-4")
        first = self.Notification._sales_closing_process_alipay(
            self.alipay_notice(tx, notify_id="HOT4-A")
        )
        self.assertEqual(first.state, "accepted")
        self.assertEqual(tx.state, "done")
        new_private, new_public = new_key_pair()
        self.alipay.alipay_public_key = new_public
        tx2 = self.make_tx(self.alipay, "SO-HOT-5")
        old_key = self.Notification._sales_closing_process_alipay(
            self.alipay_notice(tx2)
        )
        self.assertEqual((old_key.state, old_key.reason), ("rejected", "bad_signature"))
        new_key = self.Notification._sales_closing_process_alipay(
            self.alipay_notice(tx2, private=new_private)
        )
        self.assertEqual(new_key.state, "accepted")
        self.assertEqual(tx2.state, "done")

    def test_disabled_provider_is_unknown_at_once(self):
        tx = self.make_tx(self.alipay, "SO-HOT-6")
        self.Notification._sales_closing_providers(
            "alipay", "alipay_app_id", self.alipay.alipay_app_id
        )  # cached
        self.alipay.state = "disabled"
        log = self.Notification._sales_closing_process_alipay(self.alipay_notice(tx))
        self.assertEqual((log.state, log.reason), ("rejected", "unknown_provider"))
        self.assertEqual(tx.state, "draft")

    def test_queries_of_a_notification(self):
        """Credentials and provider from the cache, then: lock and read, log, update."""
        txs = [self.make_tx(self.alipay, f"SO-HOT-Q{index}") for index in range(2)]
        self.Notification._sales_closing_process_alipay(self.alipay_notice(txs[0]))
        notice = self.alipay_notice(txs[1])
        # as the controller runs it: the public user in sudo, the request's language
        public = self.env.ref("base.public_user")
        notifications = self.Notification.with_user(public).sudo()
        notifications = notifications.with_context(lang="en_US")
        self.cold()
        with self.assertQueryCount(3):
            log = notifications._sales_closing_process_alipay(notice)
            # what the controller reads to answer and log
            answer = (log.state, log.reason, log.notification_ref, log.reference)
            self.env.flush_all()
        self.assertEqual(answer, ("accepted", "ok", notice["notify_id"], "SO-HOT-Q1"))
        self.assertEqual(txs[1].state, "done")
