# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Sales Closing Reconciliation",
    "summary": "Bank and gateway statement import, automatic matching, "
    "review screen and differences report for the sales close",
    "version": "18.0.1.3.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/sales-closing/sales_closing",
    "author": "Sales Closing contributors",
    "license": "LGPL-3",
    "depends": [
        "sales_closing",
        "account_statement_import_file",
        "account_statement_import_camt",
        "account_statement_import_ofx",
        "queue_job",
    ],
    "post_init_hook": "post_init_hook",
    "demo": ["demo/sales_closing_reconcile_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "sales_closing_reconcile/static/src/**/*",
        ],
        "web.assets_tests": [
            "sales_closing_reconcile/static/tests/tours/*.js",
        ],
        "web.assets_unit_tests": [
            "sales_closing_reconcile/static/tests/**/*.test.js",
        ],
    },
    "data": [
        "security/ir.model.access.csv",
        "security/sales_closing_match_security.xml",
        "security/sales_closing_statement_profile_security.xml",
        "security/sales_closing_difference_security.xml",
        "data/ir_cron_matching.xml",
        "data/queue_job_data.xml",
        "data/sales_closing_check_kind_data.xml",
        "views/res_config_settings_views.xml",
        "views/sales_closing_matching_views.xml",
        "views/sales_closing_match_run_views.xml",
        "views/account_statement_import_views.xml",
        "views/sales_closing_statement_profile_views.xml",
        "views/sales_closing_difference_views.xml",
        "views/sales_closing_review_views.xml",
    ],
}
