# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Payment platform and mapped CSV/XLSX files in OCA's statement import.

``_parse_file`` is the OCA chain of responsibility: a file this module
recognises (Alipay, WeChat Pay, Stripe, PayPal, or anything with a mapping
profile selected) is parsed by ``engine.parsers``; any other file goes on
to OFX, CAMT.053 and the other OCA parsers.
"""

import hashlib
import re
from collections import Counter, defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from odoo.addons.sales_closing.tools import selection_label

from ..engine import parsers

PLATFORM_NAMES = {
    "alipay": "Alipay",
    "wechat": "WeChat Pay",
    "stripe": "Stripe",
    "paypal": "PayPal",
}

# Column of each platform that is unique per statement row (the platform
# transaction id can be shared by a payment, its fee and its refund).
_ROW_ID_COLUMNS = {
    "alipay": ("账务流水号",),
    "wechat": ("微信退款单号", "微信订单号"),
    "stripe": ("balance_transaction_id",),
    "paypal": ("Transaction ID",),
}

# Column holding the platform's own name of the movement type.
_TYPE_COLUMNS = {
    "alipay": ("业务类型",),
    "wechat": ("交易状态",),
    "stripe": ("reporting_category",),
    "paypal": ("Type",),
}

_ALIPAY_ACCOUNT = re.compile(r"^#\s*账号[：:]\s*\[?\s*([^\]\s]+)", re.MULTILINE)


def _alipay_account_number(data):
    """The merchant's Alipay account from the ``#账号：[...]`` header line."""
    head = parsers.decode(data[:4096].rsplit(b"\n", 1)[0])
    match = _ALIPAY_ACCOUNT.search(head)
    return match.group(1) if match else None


def _is_markup(data):
    """XML (CAMT) or OFX: left to their OCA parsers even with a profile."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") or b"OFXHEADER" in head


class AccountStatementImport(models.TransientModel):
    _inherit = "account.statement.import"

    sales_closing_profile_id = fields.Many2one(
        "sales.closing.statement.profile",
        string="Mapping Profile",
        domain="[('company_id', 'in', (False, current_company_id))]",
        default=lambda self: self._default_sales_closing_profile(),
        help="How to read a bank's CSV or Excel export. Not needed for OFX, "
        "CAMT.053, Alipay, WeChat Pay, Stripe and PayPal files, which are "
        "recognised by themselves.",
    )

    @api.model
    def _default_sales_closing_profile(self):
        journal_id = self.env.context.get("journal_id")
        if not journal_id:
            return False
        return self.env["sales.closing.statement.profile"].search(
            [("journal_id", "=", journal_id)], limit=1
        )

    # ------------------------------------------------------------------
    # Import flow: journal of the profile, savepoint, duplicate count
    # ------------------------------------------------------------------

    def import_file_button(self):
        stats = self.env.context.get("sales_closing_import_stats")
        wizard = self
        if stats is None:
            stats = {}
            wizard = self.with_context(sales_closing_import_stats=stats)
        action = super(AccountStatementImport, wizard).import_file_button()
        if stats.get("skipped") and not stats.get("created"):
            # Nothing new: say how many lines were skipped, no empty list.
            action = {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "sticky": False,
                    "message": stats["message"],
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return action

    def _import_file(self):
        """All or nothing: any error rolls back every statement of the file.

        A file whose lines were all imported before creates nothing and
        returns the number of skipped lines instead of OCA's error.
        """
        self.ensure_one()
        stats = self.env.context.get("sales_closing_import_stats")
        if stats is None:
            stats = {}
        stats.update(skipped=0, created=0, parsed=False)
        wizard = self.with_context(sales_closing_import_stats=stats)
        profile_journal = self.sales_closing_profile_id.journal_id
        if profile_journal and not self.env.context.get("journal_id"):
            wizard = wizard.with_context(journal_id=profile_journal.id)
        try:
            with self.env.cr.savepoint():
                result = super(AccountStatementImport, wizard)._import_file()
        except UserError:
            if not (stats["parsed"] and stats["skipped"] and not stats["created"]):
                raise
            file_name = self.statement_filename or self.env._("this file")
            if stats["skipped"] == 1:
                stats["message"] = self.env._(
                    "Nothing was imported: the transaction of %(file)s had "
                    "already been imported and was skipped.",
                    file=file_name,
                )
            else:
                stats["message"] = self.env._(
                    "Nothing was imported: the %(count)s transactions of %(file)s "
                    "had already been imported and were skipped.",
                    count=stats["skipped"],
                    file=file_name,
                )
            result = {"statement_ids": [], "notifications": [stats["message"]]}
        result["skipped_count"] = stats["skipped"]
        return result

    def import_single_file(self, file_data, result):
        res = super().import_single_file(file_data, result)
        stats = self.env.context.get("sales_closing_import_stats")
        if stats is not None:
            stats["parsed"] = True
        return res

    def _create_bank_statements(self, stmts_vals, result):
        stats = self.env.context.get("sales_closing_import_stats")
        if stats is not None:
            import_ids = [
                lvals["unique_import_id"]
                for st_vals in stmts_vals
                for lvals in st_vals["transactions"]
                if lvals.get("unique_import_id")
            ]
            existing = set(
                self.env["account.bank.statement.line"]
                .sudo()
                .search([("unique_import_id", "in", import_ids)])
                .mapped("unique_import_id")
            )
            total = sum(len(st_vals["transactions"]) for st_vals in stmts_vals)
            skipped = sum(1 for uid in import_ids if uid in existing)
            stats["skipped"] += skipped
            stats["created"] += total - skipped
        return super()._create_bank_statements(stmts_vals, result)

    # ------------------------------------------------------------------
    # Parsing
    # ------------------------------------------------------------------

    def _parse_file(self, data_file):
        fmt = parsers.detect_format(data_file)
        profile = self.sales_closing_profile_id
        if not fmt and not (profile and not _is_markup(data_file)):
            return super()._parse_file(data_file)
        try:
            if fmt:
                rows = parsers.PARSERS[fmt](data_file)
            else:
                rows = parsers.parse_generic(data_file, profile._get_parser_profile())
        except parsers.ParseError as exc:
            raise UserError(self._sales_closing_parse_error(exc)) from exc
        if not rows:
            raise UserError(
                self.env._(
                    "The file %(file)s contains no transactions.",
                    file=self.statement_filename or "",
                )
            )
        account_number = _alipay_account_number(data_file) if fmt == "alipay" else None
        return self._sales_closing_statements(fmt or "generic", rows, account_number)

    def _sales_closing_parse_error(self, exc):
        """Translatable message of a ``ParseError``, naming line and field."""
        file_name = self.statement_filename or self.env._("the file")
        if exc.line_no:
            return self.env._(
                "Nothing was imported: line %(line)s of %(file)s is not valid: "
                "%(error)s.",
                line=exc.line_no,
                file=file_name,
                error=exc.message,
            )
        return self.env._(
            "Nothing was imported: %(file)s is not valid: %(error)s.",
            file=file_name,
            error=exc.message,
        )

    def _sales_closing_default_currency(self):
        journal = (
            self.env["account.journal"].browse(self.env.context.get("journal_id"))
            or self.sales_closing_profile_id.journal_id
        )
        return (journal.currency_id or journal.company_id.currency_id).name or (
            self.env.company.currency_id.name
        )

    def _sales_closing_statements(self, fmt, rows, account_number):
        """OCA's parse result: one statement per currency of the file."""
        default_currency = self._sales_closing_default_currency()
        by_currency = defaultdict(list)
        for row in rows:
            by_currency[row.currency or default_currency].append(row)
        import_ids = self._sales_closing_import_ids(fmt, rows)
        title = PLATFORM_NAMES.get(fmt) or self.sales_closing_profile_id.name
        result = []
        for currency, cur_rows in by_currency.items():
            dates = sorted(row.date for row in cur_rows)
            payouts = {row.payout_ref for row in cur_rows if row.payout_ref}
            if len(payouts) == 1:
                name = f"{title} {payouts.pop()}"
            elif dates[0] == dates[-1]:
                name = f"{title} {dates[0]}"
            else:
                name = f"{title} {dates[0]} - {dates[-1]}"
            if len(by_currency) > 1:
                name = f"{name} {currency}"
            transactions = [
                self._sales_closing_transaction(fmt, row, import_ids[id(row)])
                for row in cur_rows
            ]
            result.append(
                (
                    currency,
                    account_number,
                    [{"name": name, "transactions": transactions}],
                )
            )
        return result

    @api.model
    def _sales_closing_import_ids(self, fmt, rows):
        """Journal-independent ``unique_import_id`` of each row.

        The row's own id column of the platform (or the bank's transaction
        id); without one, a digest of the row's content.  Repeated values in
        one file get ``-2``, ``-3``... so that identical lines are all kept
        and a second import of the file finds them all again.
        """
        seen = Counter()
        result = {}
        for row in rows:
            key = ""
            for column in _ROW_ID_COLUMNS.get(fmt, ()):
                key = (row.raw.get(column) or "").strip("`\t ")
                if key and key != "0":
                    break
                key = ""
            key = key or row.transaction_id
            if not key:
                content = "|".join(
                    str(part)
                    for part in (
                        row.date,
                        row.amount,
                        row.currency,
                        row.label,
                        row.payer_name,
                        row.order_ref,
                        row.account_number,
                    )
                )
                key = "h" + hashlib.sha1(content.encode()).hexdigest()[:20]
            key = f"{fmt}-{key}"
            seen[key] += 1
            result[id(row)] = key if seen[key] == 1 else f"{key}-{seen[key]}"
        return result

    @api.model
    def _sales_closing_transaction(self, fmt, row, import_id):
        """Values of one statement line in OCA's ``transactions`` format."""
        platform = fmt if fmt in PLATFORM_NAMES else False
        kind_label = selection_label(
            self.env["account.bank.statement.line"], "sales_closing_kind", row.kind
        )
        payment_ref = (
            row.label or row.order_ref or row.transaction_id or kind_label or "/"
        )
        notes = [PLATFORM_NAMES[fmt] + " " + kind_label] if platform else []
        if platform:
            notes.append(
                self.env._(
                    "Gross %(gross)s, fee %(fee)s, net %(net)s %(currency)s",
                    gross=row.gross,
                    fee=row.fee,
                    net=row.net,
                    currency=row.currency,
                )
            )
            if row.account_number:
                notes.append(
                    self.env._("Counterpart: %(account)s", account=row.account_number)
                )
        vals = {
            "date": row.date,
            "payment_ref": payment_ref,
            "amount": float(row.amount),
            "unique_import_id": import_id,
            "partner_name": row.payer_name or False,
            "ref": row.order_ref or False,
            "transaction_type": next(
                (
                    row.raw[column]
                    for column in _TYPE_COLUMNS.get(fmt, ())
                    if row.raw.get(column)
                ),
                False,
            ),
            "transaction_details": row.raw,
            "sales_closing_platform": platform,
            "sales_closing_kind": row.kind,
            "sales_closing_transaction_id": row.transaction_id or False,
            "sales_closing_order_ref": row.order_ref or False,
            "sales_closing_payout_ref": row.payout_ref or False,
            "sales_closing_gross": float(row.gross),
            "sales_closing_fee": float(row.fee),
            "sales_closing_net": float(row.net),
        }
        if notes:
            vals["narration"] = plaintext2html("\n".join(notes))
        if not platform and row.account_number:
            # A bank export's counterpart account: OCA matches the partner.
            vals["account_number"] = row.account_number
        return vals
