# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.2.0: a reminder's amounts are what its invoice owes until it is
sent, then what it reminded.

``amount_residual`` (invoice currency) was the invoice's open amount now; it
is stored from this version. The reminders already sent (or set by hand) get
the amount they reminded, ``amount_company``, converted at the invoice's rate;
those waiting to be sent get what their invoice owes now.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE sales_closing_dunning_line line
           SET amount_residual = CASE
                   WHEN COALESCE(move.amount_total_signed, 0) = 0
                   THEN line.amount_company
                   ELSE ROUND(
                       line.amount_company * move.amount_total
                       / ABS(move.amount_total_signed), 2)
               END
          FROM account_move move
         WHERE move.id = line.invoice_id
           AND line.state IN ('sent', 'manual')
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    Line = env["sales.closing.dunning.line"]
    pending = Line.search([("state", "not in", ("sent", "manual"))])
    env.add_to_compute(Line._fields["amount_residual"], pending)
    env.add_to_compute(Line._fields["amount_company"], pending)
    pending.flush_recordset()
