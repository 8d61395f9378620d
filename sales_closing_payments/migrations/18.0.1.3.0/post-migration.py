# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.3.0: a provider request marked as sent belongs to a company.

``sales.closing.gateway.request`` gets ``company_id`` (and a multi-company
rule): the marks already written get the company of their transaction, found
by ``transaction_res_id``. A mark whose transaction was never committed (its
work rolled back) keeps no company: only the superuser sees it, as the code
that reads marks does (by key, in SQL).
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE sales_closing_gateway_request mark
           SET company_id = tx.company_id
          FROM payment_transaction tx
         WHERE tx.id = mark.transaction_res_id
           AND mark.company_id IS NULL
        """
    )
