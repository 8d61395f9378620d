# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.4.0: controls that change what Odoo accepts are off by default
(issue #21); a database upgraded from an earlier version keeps behaving as
before.

- Invoice layout (``res.company.sales_closing_invoice_layout``): the default
  is now ``standard`` (Odoo's own invoice report) instead of ``classic``. The
  stored value of every existing company is left unchanged: whether a company
  chose "classic" or only got it as the default cannot be told apart, so the
  layout a company prints with today stays. Only companies created from now
  on print Odoo's report until a layout is chosen in Settings.
- Order input check (``res.company.sales_closing_check_input``, new): before
  this version the check ran on every confirmation, so it is switched on for
  the existing companies; new companies (and new databases) start with it
  off, as Odoo.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE res_company SET sales_closing_check_input = TRUE")
