"""Portal payment of installments: the tour, and no double charge by request."""

import json

from odoo.tests import HttpCase, new_test_user, tagged

from .test_installments import InstallmentCommon


@tagged("post_install", "-at_install")
class TestInstallmentPortal(InstallmentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = cls._setup_installment_data(cls.env, login="sc_inst_portal_sales")
        cls.partner = cls.data["partner"]
        cls.portal_user = new_test_user(
            cls.env,
            "sc_inst_portal",
            groups="base.group_portal",
            partner_id=cls.partner.id,
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "account_payment.enable_portal_payment", True
        )
        cls.Tx = cls.env["payment.transaction"].sudo()

    def _pay(self, invoice, amount, flow="direct", token=None):
        """Call the invoice payment route as the portal page's JS does."""
        params = {
            "access_token": invoice._portal_ensure_token(),
            "provider_id": self.data["provider"].id,
            "payment_method_id": self.data["payment_method"].id,
            "token_id": token.id if token else None,
            "amount": amount,
            "flow": flow,
            "tokenization_requested": False,
            "landing_route": invoice.get_portal_url(),
            "is_validation": False,
        }
        response = self.url_open(
            f"/invoice/transaction/{invoice.id}",
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.env.invalidate_all()
        return response.json()

    def _simulate(self, reference, state="done"):
        self.url_open(
            "/payment/demo/simulate_payment",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "reference": reference,
                        "payment_details": "4242",
                        "simulated_state": state,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.env.invalidate_all()

    def test_portal_pays_one_installment_tour(self):
        """A portal customer pays the first of two installments with the demo
        provider: one installment is paid, the residual is the second one."""
        invoice = self._invoice(self.env, self.data)
        self.assertEqual(len(invoice._sales_closing_portal_installments()), 2)
        # the portal link carries the invoice's access token, as in Odoo's emails
        # and invoice list (the payment route requires it)
        self.start_tour(
            invoice.get_portal_url(),
            "sales_closing_installment_portal_tour",
            login="sc_inst_portal",
        )
        self.env.invalidate_all()
        schedule = invoice._sales_closing_portal_installments()
        self.assertEqual([row["status"] for row in schedule], ["paid", "due"])
        self.assertEqual(invoice.amount_residual, schedule[1]["amount"])
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(len(invoice.transaction_ids), 1)
        self.assertEqual(invoice.transaction_ids.state, "done")

    def test_portal_page_shows_schedule_and_automatic_plan(self):
        """The invoice page lists the installments and says when a plan charges
        the saved card automatically."""
        invoice = self._invoice(self.env, self.data)
        token = self._token(self.env, self.data, "done")
        plan = self.env["sales.closing.installment.plan"].create(
            {
                "invoice_id": invoice.id,
                "partner_id": self.partner.id,
                "token_id": token.id,
            }
        )
        plan.action_start()
        self.authenticate("sc_inst_portal", "sc_inst_portal")
        page = self.url_open(invoice.get_portal_url()).text
        self.assertIn("o_sales_closing_installment_table", page)
        self.assertIn("Charged automatically", page)
        self.assertEqual(page.count("o_installment_due"), 2)
        plan.line_ids._charge()
        page = self.url_open(invoice.get_portal_url()).text
        self.assertEqual(page.count("o_installment_paid"), 1)
        self.assertEqual(page.count("o_installment_due"), 1)

    def test_double_submit_reuses_the_transaction(self):
        """Two tabs or a double click: the second request gets the first draft
        transaction back; once it is paid, asking again is refused; the next
        installment of the same amount is a new payment."""
        invoice = self._invoice(self.env, self.data)
        first = self._pay(invoice, 100.0)["result"]
        second = self._pay(invoice, 100.0)["result"]
        self.assertEqual(first["reference"], second["reference"])
        tx = invoice.transaction_ids
        self.assertEqual(len(tx), 1)
        self.assertTrue(tx.sales_closing_idempotency_key)
        self._simulate(tx.reference)
        self.assertEqual(tx.state, "done")
        # confirmed but not yet posted: a stale tab cannot pay it again
        refused = self._pay(invoice, 100.0)
        self.assertIn("already under way", refused["error"]["data"]["message"])
        self.assertEqual(len(invoice.transaction_ids), 1)
        tx._post_process()
        self.assertEqual(invoice.amount_residual, 100.0)
        # installment 2 has the same amount but is another payment
        third = self._pay(invoice, 100.0)["result"]
        self.assertNotEqual(third["reference"], first["reference"])
        self.assertEqual(len(invoice.transaction_ids), 2)

    def test_retried_token_payment_is_not_charged_twice(self):
        """A saved card payment sent twice (retry after a timeout) is charged
        once; after a refused card the customer can pay again."""
        invoice = self._invoice(self.env, self.data)
        pending = self._token(self.env, self.data, "pending")
        self._pay(invoice, 100.0, flow="token", token=pending)
        refused = self._pay(invoice, 100.0, flow="token", token=pending)
        self.assertIn("already under way", refused["error"]["data"]["message"])
        self.assertEqual(len(invoice.transaction_ids), 1)
        self.assertEqual(invoice.transaction_ids.state, "pending")

        other = self._invoice(self.env, self.data)
        failing = self._token(self.env, self.data, "error")
        self._pay(other, 100.0, flow="token", token=failing)
        self.assertEqual(other.transaction_ids.state, "error")
        paying = self._token(self.env, self.data, "done")
        self._pay(other, 100.0, flow="token", token=paying)
        self.assertEqual(len(other.transaction_ids), 2)
        self.assertEqual(
            sorted(other.transaction_ids.mapped("state")), ["done", "error"]
        )
        keys = other.transaction_ids.mapped("sales_closing_idempotency_key")
        self.assertEqual(len(set(keys)), 2)
