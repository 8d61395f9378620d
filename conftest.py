"""Project-wide pytest fixtures (the tests run with pytest-odoo)."""

import pytest

import odoo
from odoo import SUPERUSER_ID, api


@pytest.fixture(scope="session", autouse=True)
def pregenerate_assets(request, load_registry):
    """Build the asset bundles once before the tours, as Odoo's runner does.

    Without it the first tour builds them inside its own time budget.
    """
    if request.config.getoption("--odoo-http", default=False):
        registry = odoo.modules.registry.Registry(odoo.tests.common.get_db_name())
        with registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})[
                "ir.qweb"
            ]._pregenerate_assets_bundles()
    yield
