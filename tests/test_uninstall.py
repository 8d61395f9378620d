"""The addons uninstall cleanly: no model, table or column is left behind.

Destructive: ./setup/test runs it last, on its throwaway database.
"""

import threading

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

ADDONS = ["sales_closing_reconcile", "sales_closing_payments", "sales_closing"]


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {})


def test_uninstall_leaves_nothing():
    db_name = odoo.tests.common.get_db_name()
    test_enable = odoo.tools.config["test_enable"]
    testing = getattr(threading.current_thread(), "testing", False)
    # Odoo forbids module operations in tests because they commit; this
    # test runs last, alone, on the throwaway database of ./setup/test.
    odoo.tools.config["test_enable"] = False
    threading.current_thread().testing = False
    try:
        with Registry(db_name).cursor() as cr:
            modules = _env(cr)["ir.module.module"].search([("name", "in", ADDONS)])
            assert set(modules.mapped("state")) == {"installed"}
            modules.button_immediate_uninstall()
        with Registry(db_name).cursor() as cr:
            env = _env(cr)
            modules = env["ir.module.module"].search([("name", "in", ADDONS)])
            assert set(modules.mapped("state")) == {"uninstalled"}
            assert not env["ir.model"].search([("model", "=like", "sales.closing.%")])
            cr.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_name LIKE 'sales\\_closing\\_%'"
            )
            assert cr.fetchall() == []
            cr.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'res_company' "
                "AND column_name LIKE 'sales\\_closing\\_%'"
            )
            assert cr.fetchall() == []
            assert not env["ir.ui.menu"].search([("name", "=", "Closing")])
    finally:
        odoo.tools.config["test_enable"] = test_enable
        threading.current_thread().testing = testing
