# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Sales Closing Payments",
    "summary": "Capture at delivery, installments, Alipay and WeChat Pay, "
    "reminders and collection for the sales close",
    "version": "18.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "website": "https://github.com/sales-closing/sales_closing",
    "author": "Sales Closing contributors",
    "license": "LGPL-3",
    "depends": ["sales_closing", "account_payment"],
    "data": [
        "data/sales_closing_check_kind_data.xml",
    ],
}
