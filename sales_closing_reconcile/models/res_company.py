import logging
import re

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# How charts of accounts name the expense account of bank charges (English
# names, as Odoo loads them): "Bank Fees" (generic chart), "Bank Charges",
# "Other Bank Charges", "Bank charges and commissions", "Fees and
# Commissions on Banking Services" ... (not loans, interest or finance
# costs of debt).
BANK_FEE_NAME = re.compile(
    r"\bbank(ing)?\b.*\b(fees?|charges?|commissions?|costs?|services?)\b"
    r"|\b(fees?|charges?|commissions?)\b.*\bbank(ing)?\b|银行手续费|手续费支出",
    re.IGNORECASE,
)
NOT_BANK_FEE = re.compile(r"loan|interest|debt|income|revenue", re.IGNORECASE)
EXPENSE_TYPES = ("expense", "expense_direct_cost")


class ResCompany(models.Model):
    _inherit = "res.company"

    sales_closing_match_threshold = fields.Float(
        string="Automatic Match Threshold",
        default=0.95,
        help="Score (in percent, as on the suggestions) from which the "
        "matching engine reconciles a statement line by itself.",
    )
    sales_closing_match_margin = fields.Float(
        string="Lead over Second Match",
        default=0.15,
        help="How far the best match must be ahead of the second one to be "
        "reconciled automatically.",
    )
    sales_closing_match_partial = fields.Boolean(
        string="Reconcile Partial Payments",
        default=True,
        help="A statement line paying less than the one invoice its label "
        "names is reconciled with it automatically: the invoice stays open "
        "with the rest. Off: such lines are only suggested.",
    )
    sales_closing_fee_tolerance = fields.Float(
        string="Fee Tolerance (%)",
        default=3.0,
        help="Largest bank or gateway fee, as a percentage of the invoice, "
        "booked as a fee instead of leaving the invoice open.",
    )
    sales_closing_fee_account_id = fields.Many2one(
        "account.account",
        string="Fee Account",
        check_company=True,
        help="Account the engine books bank and gateway fees to. Set on "
        "installation to the chart's bank fees account (created as 'Bank "
        "Fees' when the chart has none).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # A company created with its chart of accounts (Odoo loads it at
        # the commit, see account.chart.template._post_load_data) gets its
        # fee account there; one whose accounts exist already gets it now.
        companies._sales_closing_set_fee_account()
        return companies

    @api.model
    def _sales_closing_init_fee_accounts(self):
        """Every company without a fee account gets one (installation,
        update, demo data: before its bank lines are matched)."""
        self.search([])._sales_closing_set_fee_account()

    def _sales_closing_set_fee_account(self):
        """Give each company of ``self`` without a fee account its chart's
        bank fees account, or a new "Bank Fees" expense account.

        Companies without a chart of accounts yet are left alone (their
        chart's loading calls this again)."""
        for company in self:
            if company.sales_closing_fee_account_id or not company.chart_template:
                continue
            account = company._sales_closing_chart_fee_account()
            if not account:
                account = company._sales_closing_create_fee_account()
            if account:
                company.sales_closing_fee_account_id = account
                _logger.info(
                    "Sales Closing: fee account of %s set to %s",
                    company.name,
                    account.display_name,
                )

    def _sales_closing_chart_fee_account(self):
        """The chart's bank fees expense account of this company, if any:
        the generic chart's ``expense_finance`` ("Bank Fees"), else an
        expense account named for bank charges."""
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        account = (
            self.env["account.chart.template"]
            .with_company(self)
            .ref("expense_finance", raise_if_not_found=False)
        )
        if account and account.account_type in EXPENSE_TYPES and not account.deprecated:
            return account
        candidates = Account.with_context(lang="en_US").search(
            [
                *Account._check_company_domain(self),
                ("account_type", "in", EXPENSE_TYPES),
                ("deprecated", "=", False),
            ]
        )
        for candidate in candidates.sorted(lambda a: (a.code or "", a.id)):
            name = candidate.with_context(lang="en_US").name or ""
            if BANK_FEE_NAME.search(name) and not NOT_BANK_FEE.search(name):
                return candidate
        return Account

    def _sales_closing_create_fee_account(self):
        """A "Bank Fees" expense account, coded after the chart's financial
        expenses account when it has one (6603 财务费用 in the Chinese
        charts), else after the first expense account."""
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        domain = [*Account._check_company_domain(self)]
        parent = (
            Account.with_context(lang="en_US").search(
                domain
                + [
                    ("account_type", "in", EXPENSE_TYPES),
                    "|",
                    ("name", "=ilike", "financial expense%"),
                    ("name", "=ilike", "finance cost%"),
                ]
            )[:1]
            or Account.search(domain + [("account_type", "=", "expense")])[:1]
        )
        if not parent:
            return Account
        code = Account._search_new_account_code(parent.code)
        account = Account.create(
            {
                "name": "Bank Fees",
                "code": code,
                "account_type": "expense",
                "company_ids": [(6, 0, [self.id])],
            }
        )
        # its Chinese name, as Odoo's charts carry theirs, also before the
        # language is activated (the ORM writes active languages only)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_account SET name = name || jsonb_build_object('zh_CN', %s)"
            " WHERE id = %s",
            ["银行手续费", account.id],
        )
        account.invalidate_recordset(["name"])
        return account
