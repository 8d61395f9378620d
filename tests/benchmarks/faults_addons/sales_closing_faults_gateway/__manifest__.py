# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Sales Closing: gateway of the fault-injection run (test only)",
    "summary": "Gives Odoo's demo payment provider a gateway on a loopback port",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "Sales Closing contributors",
    "depends": ["payment_demo", "sales_closing_payments"],
    "installable": True,
}
