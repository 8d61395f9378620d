# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.tools import config

#: Marks older than this whose operation is recorded in Odoo are deleted.
KEEP_DAYS = 90


class SalesClosingGatewayRequest(models.Model):
    """A provider request that was sent (or about to be), by idempotency key.

    Written just before the request leaves, in a transaction of its own
    committed at once ("mark, then call the provider"): when the work that
    sends it is rolled back (a worker killed after the request left), the
    mark stays, and the retry asks the gateway what became of the key before
    sending anything again. It never touches the payment transaction's row
    (the sending transaction holds its lock): the transaction is kept by id
    and reference, without a foreign key. Captures, voids, refunds and
    installment charges are marked; a refund's mark keeps its refund number
    (``request_ref``), which its retry asks the gateway about and sends again.
    Marks belong to the transaction's company (a multi-company rule).
    """

    _name = "sales.closing.gateway.request"
    _description = "Gateway Request Sent"
    _order = "id desc"
    _log_access = False

    key = fields.Char(string="Idempotency Key", required=True, readonly=True)
    transaction_ref = fields.Char(string="Transaction Reference", readonly=True)
    transaction_res_id = fields.Integer(string="Transaction ID", readonly=True)
    request_ref = fields.Char(
        string="Request Reference",
        readonly=True,
        index="btree_not_null",
        help="The number the gateway knows the request by, when it is not the "
        "transaction's reference: a refund's out_request_no (Alipay) or "
        "out_refund_no (WeChat Pay).",
    )
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True, ondelete="cascade"
    )
    operation = fields.Char(readonly=True)
    amount = fields.Float(readonly=True)
    create_date = fields.Datetime(
        string="Created on", readonly=True, default=fields.Datetime.now
    )

    _sql_constraints = [
        ("key_unique", "UNIQUE(key)", "A request is marked once per key."),
    ]

    @api.model
    def _sales_closing_own_transaction(self):
        """Tell whether the mark is committed in a transaction of its own.

        Not in tests outside the registry's test mode: the mark then goes in
        the test's transaction (rolled back with it) instead of staying in
        the database for the next run, whose references repeat.
        """
        if self.env.registry.test_cr is not None:
            return True  # the registry's cursor is the test's, in a savepoint
        testing = getattr(threading.current_thread(), "testing", False)
        return not (testing or config["test_enable"] or modules.module.current_test)

    @api.model
    def _sales_closing_mark(
        self, key, transaction, operation, amount, request_ref=None
    ):
        """Record that the request of ``key`` is being sent, committed at once.

        ``request_ref`` is the number the gateway knows the request by, when
        it is not the transaction's reference (a refund's number).
        """
        values = {
            "key": key,
            "ref": transaction.reference or None,
            "res_id": transaction.id or None,
            "request_ref": request_ref,
            "company_id": transaction.company_id.id or None,
            "operation": operation,
            "amount": amount,
        }
        query = """
            INSERT INTO sales_closing_gateway_request
                   (key, transaction_ref, transaction_res_id, request_ref,
                    company_id, operation, amount, create_date)
            VALUES (%(key)s, %(ref)s, %(res_id)s, %(request_ref)s,
                    %(company_id)s, %(operation)s, %(amount)s,
                    now() at time zone 'utc')
            ON CONFLICT (key) DO NOTHING
        """
        if not self._sales_closing_own_transaction():
            self.env.cr.execute(query, values)
            return
        # a new cursor: committed even when the sending transaction rolls back
        with self.env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '10s'")
            cr.execute(query, values)

    @api.model
    def _sales_closing_was_sent(self, key):
        """Tell whether a request of ``key`` was marked as sent."""
        return bool(self._sales_closing_find_mark(key))

    @api.model
    def _sales_closing_find_mark(self, key):
        """Return the mark of ``key`` as a dict (operation, request_ref), or
        None when no request of ``key`` was marked as sent."""
        self.env.cr.execute(
            "SELECT operation, request_ref FROM sales_closing_gateway_request "
            "WHERE key = %s",
            [key],
        )
        row = self.env.cr.dictfetchone()
        return row or None

    @api.model
    def _sales_closing_ref_taken(self, request_ref, key):
        """Tell whether ``request_ref`` was marked for a request other than
        ``key``'s."""
        self.env.cr.execute(
            "SELECT 1 FROM sales_closing_gateway_request "
            "WHERE request_ref = %s AND key != %s LIMIT 1",
            [request_ref, key],
        )
        return bool(self.env.cr.rowcount)

    @api.autovacuum
    def _gc_recorded_marks(self):
        """Delete the old marks whose operation Odoo recorded."""
        self.env.cr.execute(
            """
            DELETE FROM sales_closing_gateway_request mark
             WHERE mark.create_date < %s
               AND EXISTS (SELECT 1 FROM payment_transaction tx
                            WHERE tx.sales_closing_idempotency_key = mark.key)
            """,
            [fields.Datetime.now() - timedelta(days=KEEP_DAYS)],
        )
