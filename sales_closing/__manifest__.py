# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Sales Closing",
    "summary": "Controlled, automated and provable sales-to-cash period close",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/sales-closing/sales_closing",
    "author": "Sales Closing contributors",
    "license": "LGPL-3",
    "depends": ["sale_management", "sale_stock", "account", "portal", "mail"],
    "data": [
        "security/sales_closing_security.xml",
        "security/ir.model.access.csv",
        "data/sales_closing_check_kind_data.xml",
        "data/sales_closing_cron.xml",
        "views/sales_closing_check_kind_views.xml",
        "views/sales_closing_check_line_views.xml",
        "views/sales_closing_period_views.xml",
        "wizards/sales_closing_reopen_wizard_views.xml",
        "wizards/sales_closing_period_generate_views.xml",
        "views/sales_closing_audit_log_views.xml",
        "views/res_config_settings_views.xml",
        "views/sales_closing_menus.xml",
        "report/sales_closing_package_report.xml",
        "views/sales_closing_package_views.xml",
    ],
    "demo": ["demo/sales_closing_demo.xml"],
    "assets": {
        "web.assets_tests": ["sales_closing/static/tests/tours/*.js"],
    },
}
