"""The company the bank matching tests work in."""

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class MatchingCase(AccountTestInvoicingCommon):
    """Odoo's test company, its bank journal and a bank-fee account set as
    the company's fee account (none when ``fee_account_name`` is None: the
    company as Odoo makes it); the test user is a closing accountant."""

    fee_account_name = "Bank Fees"
    fee_account_code = "626100"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("sales_closing.group_closing_accountant")
        cls.company = cls.company_data["company"]
        cls.bank = cls.company_data["default_journal_bank"]
        cls.Line = cls.env["account.bank.statement.line"]
        if cls.fee_account_name is None:
            return
        cls.fee_account = cls.env["account.account"].create(
            {
                "name": cls.fee_account_name,
                "code": cls.fee_account_code,
                "account_type": "expense",
            }
        )
        cls.company.sales_closing_fee_account_id = cls.fee_account
