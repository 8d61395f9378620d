import io
import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import xlsxwriter
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date, format_datetime

from odoo.addons.base.models.ir_qweb import QWebException

from ..engine import aging as aging_engine
from ..engine import package as package_engine
from ..tools import check_workflow_write, safe_text, selection_labels

# Format of the snapshot's figures.  The ``fapiao`` section (companies
# issuing e-fapiao) is optional and does not change it: the content hash
# covers whatever the stored snapshot holds (hash formats 1 and 2 alike), so
# packages sealed before it verify as they are, and a company without
# e-fapiao seals the same snapshot as before.
SNAPSHOT_FORMAT = 1
SEALED_FIELDS = {
    "period_id",
    "company_id",
    "date_from",
    "version",
    "snapshot",
    "snapshot_hash",
    "content_hash",
    "previous_package_id",
    "previous_chain_hash",
    "chain_hash",
    "pdf_attachment_id",
    "xlsx_attachment_id",
    "pdf_hash",
    "xlsx_hash",
    "diff",
    "diff_count",
    "hash_version",
}
VERIFY_FIELDS = {"verify_state", "verify_message", "verify_date"}
SALES_DIMENSIONS = (
    ("by_salesperson", "Salesperson"),
    ("by_product_category", "Product Category"),
    ("by_customer", "Customer"),
    ("by_country", "Country"),
    ("by_region", "Region"),
)


class SalesClosingPackage(models.Model):
    """Sealed snapshot of a closed period: JSON figures, PDF and XLSX.

    A package is made by each close of a period and never changes
    afterwards.  Its ``content_hash`` is the SHA-256 of the canonical JSON
    of ``{"snapshot": ..., "files": {"pdf": pdf_hash, "xlsx": xlsx_hash}}``,
    so it covers the figures and the bytes of both attachments.  Packages
    of a company form a hash chain: ``previous_chain_hash`` is the chain
    hash of the company's package sorting right before this one by
    (period start, version, id) when it was made, and ``chain_hash`` hashes
    both.  The previous package is also kept in ``previous_package_id`` so
    that Verify compares against what that package holds now.

    The ORM refuses to change sealed fields or to delete a package, and
    nobody has write access on packages, hence on their attachments.  A
    superuser can still change rows or files behind the ORM: Verify
    recomputes every hash and names what does not match.
    """

    _name = "sales.closing.package"
    _description = "Closing Package"
    _order = "date_from desc, version desc, id desc"
    _rec_names_search = ["period_id"]
    # written by the close (_create_for_period, _seal) and Verify only, in sudo
    _sales_closing_workflow_fields = frozenset(SEALED_FIELDS | VERIFY_FIELDS)

    period_id = fields.Many2one(
        "sales.closing.period",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    date_from = fields.Date(
        string="Period Start",
        required=True,
        readonly=True,
        help="Start of the period when the package was made; orders the chain.",
    )
    version = fields.Integer(required=True, readonly=True, default=1)
    snapshot = fields.Text(readonly=True, help="Canonical JSON of the figures.")
    snapshot_html = fields.Html(
        string="Figures",
        compute="_compute_snapshot_html",
        sanitize=False,
        help="The figures of the snapshot as the PDF prints them: headings, "
        "customers and amounts in the package's currency, in your language.",
    )
    snapshot_hash = fields.Char(
        string="Snapshot SHA-256",
        readonly=True,
        help="SHA-256 of the canonical JSON snapshot alone (printed on the PDF).",
    )
    content_hash = fields.Char(
        string="Content SHA-256",
        readonly=True,
        help="SHA-256 of the snapshot together with the PDF and XLSX hashes.",
    )
    previous_package_id = fields.Many2one(
        "sales.closing.package", readonly=True, ondelete="restrict", index=True
    )
    previous_chain_hash = fields.Char(readonly=True)
    chain_hash = fields.Char(readonly=True)
    pdf_attachment_id = fields.Many2one(
        "ir.attachment", string="PDF", readonly=True, ondelete="restrict"
    )
    xlsx_attachment_id = fields.Many2one(
        "ir.attachment", string="XLSX", readonly=True, ondelete="restrict"
    )
    pdf_hash = fields.Char(string="PDF SHA-256", readonly=True)
    xlsx_hash = fields.Char(string="XLSX SHA-256", readonly=True)
    diff = fields.Html(
        string="Changes From Previous Version", readonly=True, sanitize=False
    )
    diff_count = fields.Integer(string="Changes", readonly=True)
    verify_state = fields.Selection(
        [("unknown", "Not Verified"), ("ok", "Intact"), ("tampered", "Tampered")],
        default="unknown",
        required=True,
        readonly=True,
    )
    verify_message = fields.Text(readonly=True)
    verify_date = fields.Datetime(readonly=True)
    hash_version = fields.Integer(
        string="Hash Format",
        default=package_engine.HASH_VERSION,
        required=True,
        readonly=True,
        help="1: the content hash covers the snapshot and the files (packages "
        "sealed before the chain covered the package fields); 2: it also "
        "covers the version, period, company, dates, diff and previous package.",
    )

    _sql_constraints = [
        (
            "period_version_uniq",
            "unique(period_id, version)",
            "A period has one package per version.",
        ),
    ]

    @api.depends("period_id.name", "version")
    def _compute_display_name(self):
        for package in self:
            package.display_name = self.env._(
                "%(period)s v%(version)s",
                period=package.period_id.name,
                version=package.version,
            )

    # ------------------------------------------------------------------
    # Never overwritten
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        sealed = SEALED_FIELDS & set(vals)
        if sealed and any(package.chain_hash for package in self):
            raise UserError(
                self.env._(
                    "A closing package is sealed and cannot be modified (%s).",
                    ", ".join(sorted(sealed)),
                )
            )
        unknown = set(vals) - SEALED_FIELDS - VERIFY_FIELDS
        if unknown:
            raise UserError(
                self.env._(
                    "A closing package cannot be modified (%s).",
                    ", ".join(sorted(unknown)),
                )
            )
        return super().write(vals)

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._("A closing package cannot be deleted."))

    # ------------------------------------------------------------------
    # Creation
    # ------------------------------------------------------------------
    @api.model
    def _create_for_period(self, period):
        """Make, seal and return the next package of the closed ``period``."""
        period.ensure_one()
        # sealed in the company's language, whoever closes: names in the
        # snapshot, headings of the PDF and XLSX
        self = self.with_company(period.company_id).with_context(
            lang=period.company_id.partner_id.lang or self.env.lang
        )
        last = self.search(
            [("period_id", "=", period.id)], order="version desc", limit=1
        )
        version = last.version + 1 if last else 1
        # one chain per company in sealing order: the new package follows the
        # company's newest one; the lock makes concurrent closes queue up. NO
        # KEY UPDATE, not UPDATE: the seal holds it for seconds (snapshot,
        # PDF, XLSX), and FOR UPDATE would stop every insert that references
        # the company (its foreign key check) meanwhile; with Odoo's PDF
        # rendering asking the same server for its assets, a server whose
        # other workers all wait on the company row never finishes the seal
        self.env.cr.execute(
            "SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE",
            [period.company_id.id],
        )
        previous = self.search(
            [("company_id", "=", period.company_id.id)], order="id desc", limit=1
        )
        snapshot = self._snapshot(period, version)
        snapshot_text = package_engine.canonical_json(snapshot).decode()
        changes = []
        if last:
            changes = [
                change
                for change in package_engine.diff(last._snapshot_data(), snapshot)
                if not change[0].startswith("meta.")
            ]
        package = self.create(
            {
                "period_id": period.id,
                "company_id": period.company_id.id,
                "date_from": period.date_from,
                "version": version,
                "snapshot": snapshot_text,
                "snapshot_hash": package_engine.content_hash(snapshot),
                "previous_package_id": previous.id,
                "previous_chain_hash": previous.chain_hash or "",
                "diff": self._diff_html(changes) if last else False,
                "diff_count": len(changes),
            }
        )
        package._seal()
        package._set_company_head()
        return package

    def _set_company_head(self):
        """Record this newly sealed package as its company's chain head."""
        self.ensure_one()
        # sudo: the head is written by the sealing workflow only (res.company
        # refuses it otherwise); called by _create_for_period after the close
        self.company_id.sudo().write(
            {
                "sales_closing_package_head_id": self.id,
                "sales_closing_package_head_hash": self.chain_hash,
            }
        )
        self._send_head_to_auditor()

    def _send_head_to_auditor(self):
        """Email the new head hash to the company's auditor address, if set.

        Whoever can write the database can recompute the whole chain; the
        hash the auditor holds cannot be rewritten with it.
        """
        self.ensure_one()
        company = self.company_id
        email = company.sales_closing_auditor_email
        if not email:
            return
        lines = [
            (self.env._("Company"), company.name),
            (self.env._("Period"), self.period_id.name),
            (self.env._("Version"), str(self.version)),
            (self.env._("Sealed on"), fields.Datetime.to_string(self.create_date)),
            (self.env._("Chain head SHA-256"), self.chain_hash),
        ]
        body = Markup("<p>%s</p><table>%s</table><p>%s</p>") % (
            self.env._(
                "A closing period was closed; this is the new head of the "
                "company's chain of closing packages."
            ),
            Markup().join(
                Markup("<tr><td>%s</td><td><code>%s</code></td></tr>") % line
                for line in lines
            ),
            self.env._(
                "Keep this message: if the chain is ever rewritten in the "
                "database, its head will no longer match this hash."
            ),
        )
        # sudo: the message is queued for the auditor whoever closes
        self.env["mail.mail"].sudo().create(
            {
                "subject": self.env._(
                    "Closing package chain head: %(company)s %(period)s v%(version)s",
                    company=company.name,
                    period=self.period_id.name,
                    version=self.version,
                ),
                "email_to": email,
                "email_from": company.email_formatted or self.env.user.email_formatted,
                "body_html": body,
                "auto_delete": False,
                "model": self._name,
                "res_id": self.id,
            }
        )

    def _seal(self):
        """Render and attach the PDF and XLSX, then write the hashes."""
        self.ensure_one()
        pdf_bytes, mimetype, extension = self._render_pdf()
        xlsx_bytes = self._render_xlsx()
        base_name = f"closing-{self.period_id.name}-v{self.version}"
        pdf, xlsx = self.env["ir.attachment"].create(
            [
                {
                    "name": f"{base_name}.{extension}",
                    "raw": pdf_bytes,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                },
                {
                    "name": f"{base_name}.xlsx",
                    "raw": xlsx_bytes,
                    "mimetype": "application/vnd.openxmlformats-officedocument"
                    ".spreadsheetml.sheet",
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                },
            ]
        )
        self.write(
            {
                "pdf_attachment_id": pdf.id,
                "xlsx_attachment_id": xlsx.id,
                "pdf_hash": package_engine.file_hash(pdf_bytes),
                "xlsx_hash": package_engine.file_hash(xlsx_bytes),
                "hash_version": package_engine.HASH_VERSION,
            }
        )
        content = package_engine.content_hash(
            self._sealed_content(self._snapshot_data())
        )
        self.write(
            {
                "content_hash": content,
                "chain_hash": package_engine.chain_hash(
                    content, self.previous_chain_hash
                ),
            }
        )

    def _sealed_record(self):
        """The sealed fields of the package row, as hashed by format 2."""
        self.ensure_one()
        return {
            "id": self.id,
            "company_id": self.company_id.id,
            "period_id": self.period_id.id,
            "date_from": self.date_from,
            "date_to": self.period_id.date_to,
            "version": self.version,
            "snapshot_hash": self.snapshot_hash or "",
            "diff": str(self.diff or ""),
            "diff_count": self.diff_count,
            "previous_package_id": self.previous_package_id.id or None,
            "previous_chain_hash": self.previous_chain_hash or "",
            "pdf_attachment_id": self.pdf_attachment_id.id or None,
            "xlsx_attachment_id": self.xlsx_attachment_id.id or None,
        }

    def _sealed_content(self, snapshot):
        """Return the data whose hash is the content hash, in the package's
        hash format (1 for the packages sealed before format 2)."""
        self.ensure_one()
        files = {"pdf": self.pdf_hash, "xlsx": self.xlsx_hash}
        if self.hash_version == package_engine.LEGACY_HASH_VERSION:
            return package_engine.sealed_content(snapshot, files)
        return package_engine.sealed_content(snapshot, files, self._sealed_record())

    def _render_pdf(self):
        """Return (bytes, mimetype, extension) of the QWeb report.

        Odoo renders HTML instead of PDF in test mode; the bytes stored are
        the bytes hashed either way.
        """
        content, report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "sales_closing.action_report_closing_package", self.ids
        )
        if report_type == "pdf":
            return content, "application/pdf", "pdf"
        if isinstance(content, str):
            content = content.encode()
        return content, "text/html", "html"

    def _snapshot_data(self):
        self.ensure_one()
        return json.loads(self.snapshot or "{}")

    @api.depends("snapshot")
    @api.depends_context("lang")
    def _compute_snapshot_html(self):
        """The snapshot's figures rendered by the PDF's template: the stored
        JSON, which the hashes cover, is only read."""
        for package in self:
            if not package.snapshot:
                package.snapshot_html = False
                continue
            try:
                values = package._report_values()
                html = self.env["ir.qweb"]._render(
                    "sales_closing.report_closing_package_figures",
                    {"o": package, "values": values},
                )
            except (QWebException, ValueError, KeyError, TypeError, AttributeError):
                # a snapshot altered in the database (Verify says so): the
                # JSON stays readable on the Hashes tab
                html = Markup('<p class="text-danger">%s</p>') % self.env._(
                    "The snapshot cannot be read as figures; its JSON is on "
                    "the Hashes tab."
                )
            package.snapshot_html = html

    @api.model
    def _diff_html(self, changes):
        if not changes:
            return Markup("<p>%s</p>") % self.env._("No figure changed.")
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>")
            % (path, "" if old is None else old, "" if new is None else new)
            for path, old, new in changes
        )
        return Markup(
            '<table class="table table-sm o_closing_package_diff"><thead><tr>'
            "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
        ) % (
            self.env._("Figure"),
            self.env._("Previous Version"),
            self.env._("This Version"),
            rows,
        )

    # ------------------------------------------------------------------
    # Figures (a constant number of queries per package)
    # ------------------------------------------------------------------
    @api.model
    def _snapshot(self, period, version):
        currency = period.company_id.currency_id
        return {
            "format": SNAPSHOT_FORMAT,
            "meta": {
                "version": version,
                "closed_at": fields.Datetime.now(),
                "closed_by": self._closing_user(period, version).name,
            },
            "period": {
                "name": period.name,
                "company": period.company_id.name,
                "kind": period.kind,
                "date_from": period.date_from,
                "date_to": period.date_to,
                "currency": currency.name,
            },
            "sales": self._figures_sales(period),
            "invoicing": self._figures_invoicing(period),
            "collected": self._figures_collected(period),
            "receivables": self._figures_receivables(period),
            "bank": self._figures_bank(period),
            "checks": self._figures_checks(period),
            **self._figures_fapiao(period),
        }

    @api.model
    def _closing_user(self, period, version=None):
        """Who closed ``period`` (the package is made in sudo, by the close or
        a scheduled action): the user of the close of the audit log that made
        package ``version`` (each close or reclose makes the next version),
        else of its last close."""
        # sudo: the audit log is read by closing accountants and auditors
        # only; the name of who closed is printed on the package
        logs = (
            self.env["sales.closing.audit.log"]
            .sudo()
            .search(
                [("period_id", "=", period.id), ("action", "in", ("close", "reclose"))],
                order="id",
            )
        )
        if version and len(logs) >= version:
            return logs[version - 1].user_id
        return logs[-1:].user_id or self.env.user

    @api.model
    def _amount(self, period, value):
        """Return ``value`` rounded to the company currency as a fixed string."""
        digits = period.company_id.currency_id.decimal_places
        if not isinstance(value, Decimal):
            value = Decimal(repr(float(value or 0.0)))
        quantum = Decimal(1).scaleb(-digits)
        value = value.quantize(quantum, rounding=ROUND_HALF_UP)
        return format(value + 0, "f")  # "+ 0" turns -0.00 into 0.00

    @api.model
    def _keyed_rows(self, rows):
        """Give each ``{'id', 'name', ...}`` row a readable distinct ``key``."""
        names = [row["name"] for row in rows]
        for row in rows:
            duplicate = names.count(row["name"]) > 1
            row["key"] = f"{row['name']} #{row['id']}" if duplicate else row["name"]
        return sorted(rows, key=lambda row: row["key"])

    @api.model
    def _figures_sales(self, period):
        """Confirmed order lines of orders dated in the period, company currency.

        One query with GROUPING SETS gives every breakdown and the total.
        """
        query = SQL(
            """
            SELECT GROUPING(so.user_id) AS g_user,
                   GROUPING(pt.categ_id) AS g_categ,
                   GROUPING(cp.id) AS g_partner,
                   GROUPING(cp.country_id) AS g_country,
                   GROUPING(cp.state_id) AS g_state,
                   so.user_id, pt.categ_id, cp.id AS partner_id,
                   cp.country_id, cp.state_id,
                   SUM(sol.price_subtotal
                       / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS amount
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
              JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
         LEFT JOIN product_product pp ON pp.id = sol.product_id
         LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE so.company_id = %(company)s
               AND so.state = 'sale'
               AND sol.display_type IS NULL
               AND so.date_order >= %(start)s
               AND so.date_order <= %(end)s
          GROUP BY GROUPING SETS ((so.user_id), (pt.categ_id), (cp.id),
                                  (cp.country_id), (cp.country_id, cp.state_id), ())
            """,
            company=period.company_id.id,
            start=fields.Datetime.to_string(
                fields.Datetime.to_datetime(period.date_from)
            ),
            end=fields.Datetime.to_string(period._end_datetime()),
        )
        self.env.flush_all()
        self.env.cr.execute(query)
        raw = {name: [] for name, _label in SALES_DIMENSIONS}
        total = 0
        for row in self.env.cr.dictfetchall():
            groups = (
                row["g_user"],
                row["g_categ"],
                row["g_partner"],
                row["g_country"],
                row["g_state"],
            )
            if all(groups):
                total = row["amount"]
            elif not groups[0]:
                raw["by_salesperson"].append((row["user_id"], row["amount"]))
            elif not groups[1]:
                raw["by_product_category"].append((row["categ_id"], row["amount"]))
            elif not groups[2]:
                raw["by_customer"].append((row["partner_id"], row["amount"]))
            elif not groups[4]:
                raw["by_region"].append(
                    (row["state_id"], row["amount"], row["country_id"])
                )
            else:
                raw["by_country"].append((row["country_id"], row["amount"]))
        models_by_dimension = {
            "by_salesperson": "res.users",
            "by_product_category": "product.category",
            "by_customer": "res.partner",
            "by_country": "res.country",
            "by_region": "res.country.state",
        }
        result = {"total": self._amount(period, total)}
        country_names = {}
        for dimension, model in models_by_dimension.items():
            records = (
                self.env[model]
                .sudo()
                .browse([row[0] for row in raw[dimension] if row[0]])
            )
            # one query per model: the names are prefetched together
            names = {record.id: record.display_name for record in records}
            if dimension == "by_country":
                country_names = names
            rows = []
            for rid, amount, *country in raw[dimension]:
                name = names.get(rid)
                if not name and country and country_names.get(country[0]):
                    # customers of a country without a region: one row per
                    # country, named by it
                    name = self.env._("%s, no region", country_names[country[0]])
                # no salesperson, category or country: no name (the PDF
                # prints a dash)
                rows.append(
                    {
                        "id": rid or 0,
                        "name": name or "",
                        "amount": self._amount(period, amount),
                    }
                )
            result[dimension] = self._keyed_rows(rows)
        return result

    @api.model
    def _figures_invoicing(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("date", ">=", period.date_from),
            ("date", "<=", period.date_to),
        ]
        groups = self.env["account.move"]._read_group(
            domain,
            ["move_type"],
            ["__count", "amount_untaxed_signed:sum", "amount_tax_signed:sum"],
        )
        by_type = {
            move_type: (count, untaxed or 0.0, tax or 0.0)
            for move_type, count, untaxed, tax in groups
        }
        invoices = by_type.get("out_invoice", (0, 0.0, 0.0))
        refunds = by_type.get("out_refund", (0, 0.0, 0.0))
        return {
            "invoiced": {
                "count": invoices[0],
                "untaxed": self._amount(period, invoices[1]),
                "tax": self._amount(period, invoices[2]),
            },
            "credit_notes": {
                "count": refunds[0],
                "untaxed": self._amount(period, refunds[1]),
                "tax": self._amount(period, refunds[2]),
            },
            "net_untaxed": self._amount(period, invoices[1] + refunds[1]),
            "taxes": self._amount(period, invoices[2] + refunds[2]),
        }

    @api.model
    def _figures_collected(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("payment_type", "=", "inbound"),
            ("partner_type", "=", "customer"),
            ("state", "in", ("in_process", "paid")),
            ("date", ">=", period.date_from),
            ("date", "<=", period.date_to),
        ]
        count, amount = self.env["account.payment"]._read_group(
            domain, [], ["__count", "amount_company_currency_signed:sum"]
        )[0]
        return {"count": count, "amount": self._amount(period, amount)}

    @api.model
    def _figures_receivables(self, period):
        """Open receivables at the period end, aged at the period end.

        The residual is computed as of ``date_to``: the balance of each
        posted receivable line dated up to then, less the partial
        reconciliations whose both sides are dated up to then (their
        ``max_date``), as Odoo's aged balance does.  One query.
        """
        query = SQL(
            """
            SELECT aml.partner_id,
                   COALESCE(aml.date_maturity, aml.date) AS due,
                   aml.balance
                   - COALESCE((SELECT SUM(apr.amount)
                                 FROM account_partial_reconcile apr
                                WHERE apr.debit_move_id = aml.id
                                  AND apr.max_date <= %(date_to)s), 0)
                   + COALESCE((SELECT SUM(apr.amount)
                                 FROM account_partial_reconcile apr
                                WHERE apr.credit_move_id = aml.id
                                  AND apr.max_date <= %(date_to)s), 0) AS residual
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND aml.date <= %(date_to)s
               AND (aml.reconciled IS NOT TRUE
                    OR EXISTS (SELECT 1 FROM account_partial_reconcile apr
                                WHERE (apr.debit_move_id = aml.id
                                       OR apr.credit_move_id = aml.id)
                                  AND apr.max_date > %(date_to)s))
          ORDER BY aml.id
            """,
            company=period.company_id.id,
            date_to=period.date_to,
        )
        self.env.flush_all()
        self.env.cr.execute(query)
        items = [
            (partner_id or 0, due, Decimal(residual or 0))
            for partner_id, due, residual in self.env.cr.fetchall()
        ]
        result = aging_engine.aging(items, period.date_to)
        labels = aging_engine.bucket_labels()
        partners = (
            self.env["res.partner"]
            .sudo()
            .browse([key for key in result["partners"] if key])
        )
        names = {partner.id: partner.display_name for partner in partners}
        rows = []
        for key, buckets in result["partners"].items():
            if not buckets[aging_engine.TOTAL]:
                continue
            row = {"id": key, "name": names.get(key) or self.env._("No Partner")}
            for label in [*labels, aging_engine.TOTAL]:
                row[label] = self._amount(period, buckets[label])
            rows.append(row)
        return {
            "as_of": period.date_to,
            "buckets": labels,
            "partners": self._keyed_rows(rows),
            "totals": {
                label: self._amount(period, amount)
                for label, amount in result["totals"].items()
            },
        }

    @api.model
    def _figures_bank(self, period):
        """Statement lines of the period not reconciled (journal amounts)."""
        domain = [
            ("company_id", "=", period.company_id.id),
            ("is_reconciled", "=", False),
            ("date", ">=", period.date_from),
            ("date", "<=", period.date_to),
        ]
        count, amount = self.env["account.bank.statement.line"]._read_group(
            domain, [], ["__count", "amount:sum"]
        )[0]
        return {
            "unreconciled_count": count,
            "unreconciled_amount": self._amount(period, amount),
        }

    @api.model
    def _figures_fapiao(self, period):
        """China e-fapiao of the period (companies issuing e-fapiao only):
        posted customer invoices with an issued e-fapiao, invoices and
        credit notes without one, and credit notes red-lettered (red
        e-fapiao issued); count, untaxed, tax and total in company currency.

        ``{}`` for a company that does not issue e-fapiao: its snapshot, and
        so its content hash, is what it was before.  One query."""
        if not period.company_id.sales_closing_fapiao_enabled:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT move_type,
                       sales_closing_fapiao_number IS NOT NULL,
                       COUNT(*),
                       SUM(amount_untaxed_signed),
                       SUM(amount_tax_signed),
                       SUM(amount_total_signed)
                  FROM account_move
                 WHERE company_id = %(company)s
                   AND state = 'posted'
                   AND move_type IN ('out_invoice', 'out_refund')
                   AND date >= %(start)s
                   AND date <= %(end)s
              GROUP BY 1, 2
                """,
                company=period.company_id.id,
                start=period.date_from,
                end=period.date_to,
            )
        )
        groups = {"issued": [], "not_issued": [], "red": []}
        for move_type, issued, count, untaxed, tax, total in self.env.cr.fetchall():
            if not issued:
                key = "not_issued"
            elif move_type == "out_refund":
                key = "red"
            else:
                key = "issued"
            groups[key].append((count, untaxed or 0, tax or 0, total or 0))
        return {
            "fapiao": {
                key: {
                    "count": sum(row[0] for row in rows),
                    "untaxed": self._amount(period, sum(row[1] for row in rows)),
                    "tax": self._amount(period, sum(row[2] for row in rows)),
                    "total": self._amount(period, sum(row[3] for row in rows)),
                }
                for key, rows in groups.items()
            }
        }

    @api.model
    def _figures_checks(self, period):
        return [
            {
                "key": line.kind_id.code,
                "name": line.name,
                "severity": line.severity,
                "status": line.status,
                "count": line.count,
                "amount": self._amount(period, line.amount),
                "waiver_reason": line.waiver_reason or "",
            }
            for line in period.check_line_ids
        ]

    # ------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------
    def _dimension_labels(self):
        """``{snapshot key: heading}`` of the sales breakdowns, translated."""
        return {
            "by_salesperson": self.env._("Salesperson"),
            "by_product_category": self.env._("Product Category"),
            "by_customer": self.env._("Customer"),
            "by_country": self.env._("Country"),
            "by_region": self.env._("Region"),
        }

    def _fapiao_labels(self):
        """``[(snapshot key, heading)]`` of the e-fapiao figures, translated."""
        return [
            ("issued", self.env._("Invoices with an issued e-fapiao")),
            ("not_issued", self.env._("Invoices and credit notes without e-fapiao")),
            ("red", self.env._("Credit notes red-lettered (red e-fapiao issued)")),
        ]

    def _bucket_label(self, label):
        """The heading of the aging bucket ``label`` of the snapshot
        (``current``, ``1-30`` ... ``90+``), translated."""
        if label == aging_engine.CURRENT:
            return self.env._("Not Due")
        if label == aging_engine.TOTAL:
            return self.env._("Total")
        return self.env._("%s Days", label)

    def _report_currency(self, data):
        """The currency the snapshot's amounts are in."""
        name = data.get("period", {}).get("currency")
        currency = self.company_id.currency_id
        if name and name != currency.name:
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", name)], limit=1)
                or currency
            )
        return currency

    def _report_values(self):
        """Return the snapshot prepared for the QWeb report: amounts in the
        currency with the separators of the language, dates and the closing
        time in the closer's time zone, headings and labels translated."""
        self.ensure_one()
        data = self._snapshot_data()
        env = self.env
        currency = self._report_currency(data)
        period = data.get("period", {})
        meta = data.get("meta", {})
        closer = self._closing_user(self.period_id, self.version)
        tz = closer.tz or self.company_id.partner_id.tz or "UTC"
        # ISO 8601 in the snapshot (2026-12-07T01:05:26), naive UTC
        closed_at = meta.get("closed_at")
        closed_at = closed_at and datetime.fromisoformat(str(closed_at))
        labels = self._dimension_labels()

        def money(value):
            return format_amount(env, float(value or 0), currency)

        def day(value):
            return format_date(env, value) if value else ""

        def name(row):
            # no name: the orders of no salesperson, category or country
            return row.get("name") or "\N{EM DASH}"

        severities = selection_labels(env["sales.closing.check.line"], "severity")
        statuses = selection_labels(env["sales.closing.check.line"], "status")
        buckets = data.get("receivables", {}).get("buckets", [])
        return {
            "data": data,
            "currency": currency,
            "money": money,
            "day": day,
            "row_name": name,
            "closed_at": (
                f"{format_datetime(env, closed_at, tz=tz, dt_format='medium')} ({tz})"
                if closed_at
                else ""
            ),
            "closed_by": meta.get("closed_by") or "",
            "period_dates": (
                f"{day(period.get('date_from'))} - {day(period.get('date_to'))}"
            ),
            "buckets": [(label, self._bucket_label(label)) for label in buckets],
            "severity": lambda value: severities.get(value, value or ""),
            "status": lambda value: statuses.get(value, value or ""),
            "dimensions": [
                (key, labels.get(key, key), data.get("sales", {}).get(key, []))
                for key, _label in SALES_DIMENSIONS
            ],
            "fapiao": [
                (label, data["fapiao"][key])
                for key, label in self._fapiao_labels()
                if key in data.get("fapiao", {})
            ],
        }

    def _render_xlsx(self):
        """Return the XLSX bytes of the package: one sheet per section."""
        self.ensure_one()
        values = self._report_values()
        data = values["data"]
        stream = io.BytesIO()
        workbook = xlsxwriter.Workbook(
            stream, {"in_memory": True, "strings_to_formulas": False}
        )
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})

        def sheet(name, header, rows):
            worksheet = workbook.add_worksheet(name[:31])
            for column, title in enumerate(header):
                worksheet.write_string(0, column, safe_text(title), bold)
            for index, row in enumerate(rows, start=1):
                for column, value in enumerate(row):
                    if isinstance(value, Decimal):
                        worksheet.write_number(index, column, float(value), money)
                    elif isinstance(value, (int, float)) and not isinstance(
                        value, bool
                    ):
                        worksheet.write_number(index, column, value)
                    elif value not in (None, False, ""):
                        # names come from users (customers rename themselves
                        # on the portal): text only, never a formula
                        worksheet.write_string(index, column, safe_text(value))
            worksheet.set_column(0, len(header) - 1, 22)

        period = data["period"]
        invoicing = data["invoicing"]
        sheet(
            self.env._("Summary"),
            [self.env._("Item"), self.env._("Value")],
            [
                (self.env._("Period"), period["name"]),
                (self.env._("Company"), period["company"]),
                (self.env._("From"), period["date_from"]),
                (self.env._("To"), period["date_to"]),
                (self.env._("Currency"), period["currency"]),
                (self.env._("Version"), data["meta"]["version"]),
                (self.env._("Closed at"), values["closed_at"]),
                (self.env._("Closed by"), values["closed_by"]),
                (self.env._("Snapshot SHA-256"), self.snapshot_hash),
                (self.env._("Previous chain SHA-256"), self.previous_chain_hash),
            ],
        )
        for _key, label, rows in values["dimensions"]:
            sheet(
                self.env._("Sales by %s", label),
                [label, self.env._("Untaxed Amount")],
                [(values["row_name"](row), Decimal(row["amount"])) for row in rows]
                + [(self.env._("Total"), Decimal(data["sales"]["total"]))],
            )
        sheet(
            self.env._("Invoicing"),
            [
                self.env._("Item"),
                self.env._("Count"),
                self.env._("Untaxed"),
                self.env._("Tax"),
            ],
            [
                (
                    self.env._("Invoices"),
                    invoicing["invoiced"]["count"],
                    Decimal(invoicing["invoiced"]["untaxed"]),
                    Decimal(invoicing["invoiced"]["tax"]),
                ),
                (
                    self.env._("Credit Notes"),
                    invoicing["credit_notes"]["count"],
                    Decimal(invoicing["credit_notes"]["untaxed"]),
                    Decimal(invoicing["credit_notes"]["tax"]),
                ),
                (
                    self.env._("Net"),
                    "",
                    Decimal(invoicing["net_untaxed"]),
                    Decimal(invoicing["taxes"]),
                ),
                (
                    self.env._("Collected"),
                    data["collected"]["count"],
                    Decimal(data["collected"]["amount"]),
                    "",
                ),
            ],
        )
        receivables = data["receivables"]
        labels = [*receivables["buckets"], aging_engine.TOTAL]
        sheet(
            self.env._("Receivables"),
            [self.env._("Customer"), *(self._bucket_label(label) for label in labels)],
            [
                (row["name"], *(Decimal(row[label]) for label in labels))
                for row in receivables["partners"]
            ]
            + [
                (
                    self.env._("Total"),
                    *(Decimal(receivables["totals"][label]) for label in labels),
                )
            ],
        )
        sheet(
            self.env._("Bank"),
            [self.env._("Unreconciled Lines"), self.env._("Unreconciled Amount")],
            [
                (
                    data["bank"]["unreconciled_count"],
                    Decimal(data["bank"]["unreconciled_amount"]),
                )
            ],
        )
        fapiao = data.get("fapiao")
        if fapiao:
            sheet(
                self.env._("E-Fapiao"),
                [
                    self.env._("Item"),
                    self.env._("Count"),
                    self.env._("Untaxed"),
                    self.env._("Tax"),
                    self.env._("Total"),
                ],
                [
                    (
                        label,
                        fapiao[key]["count"],
                        Decimal(fapiao[key]["untaxed"]),
                        Decimal(fapiao[key]["tax"]),
                        Decimal(fapiao[key]["total"]),
                    )
                    for key, label in self._fapiao_labels()
                ],
            )
        sheet(
            self.env._("Checks"),
            [
                self.env._("Code"),
                self.env._("Check"),
                self.env._("Severity"),
                self.env._("Status"),
                self.env._("Count"),
                self.env._("Amount"),
                self.env._("Waiver Reason"),
            ],
            [
                (
                    check["key"],
                    check["name"],
                    values["severity"](check["severity"]),
                    values["status"](check["status"]),
                    check["count"],
                    Decimal(check["amount"]),
                    check["waiver_reason"],
                )
                for check in data["checks"]
            ],
        )
        workbook.close()
        return stream.getvalue()

    def action_download_pdf(self):
        self.ensure_one()
        return self._download(self.pdf_attachment_id)

    def action_download_xlsx(self):
        self.ensure_one()
        return self._download(self.xlsx_attachment_id)

    def _download(self, attachment):
        if not attachment:
            raise UserError(self.env._("This package has no such file."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    # ------------------------------------------------------------------
    # Verify
    # ------------------------------------------------------------------
    def _own_problems(self):
        """Return the sentences naming what no longer matches in this package."""
        self.ensure_one()
        problems = []
        try:
            snapshot = json.loads(self.snapshot or "")
        except ValueError:
            snapshot = None
            problems.append(self.env._("Snapshot modified: it is not valid JSON."))
        if snapshot is not None and (
            package_engine.content_hash(snapshot) != self.snapshot_hash
        ):
            problems.append(
                self.env._("Snapshot modified: it no longer matches its hash.")
            )
        actual_files = {}
        for label, attachment, stored in (
            (self.env._("PDF"), self.pdf_attachment_id, self.pdf_hash),
            (self.env._("XLSX"), self.xlsx_attachment_id, self.xlsx_hash),
        ):
            if not attachment.exists():
                problems.append(self.env._("%s attachment missing.", label))
                actual_files[label] = None
                continue
            actual = package_engine.file_hash(attachment.raw or b"")
            actual_files[label] = actual
            if actual != stored:
                problems.append(self.env._("%s attachment modified.", label))
        if problems:
            return problems
        previous = self.previous_package_id
        if previous and not previous.exists():
            return [self.env._("Chain broken: previous package removed.")]
        engine_problems = package_engine.verify(
            self._sealed_content(snapshot),
            self.content_hash,
            self.chain_hash,
            self.previous_chain_hash,
        )
        if engine_problems:
            problems.append(
                self.env._("Stored hashes rewritten: %s", " ".join(engine_problems))
            )
        elif (previous.chain_hash or "") != (self.previous_chain_hash or ""):
            problems.append(self.env._("Chain broken: previous package changed."))
        return problems

    def _chain_problems(self):
        """Return the problems of this package and of every package it chains to."""
        self.ensure_one()
        # load the company's packages at once so that walking the chain
        # reads from the cache
        self.search([("company_id", "=", self.company_id.id)]).mapped("chain_hash")
        problems = self._own_problems()
        seen = {self.id}
        package = self.previous_package_id
        while package and package.exists() and package.id not in seen:
            seen.add(package.id)
            problems.extend(
                self.env._(
                    "Previous package %(package)s: %(problem)s",
                    package=package.display_name,
                    problem=problem,
                )
                for problem in package._own_problems()
            )
            package = package.previous_package_id
        return problems

    @api.model
    def _company_problems(self, company):
        """What is wrong with ``company``'s chain as a whole.

        Per period the versions are 1..n with no gap; each package of
        format 2 follows the package sealed just before it; no package of
        the legacy format follows one of format 2; the newest package is the
        head recorded on the company with its chain hash.
        """
        packages = self.search([("company_id", "=", company.id)], order="id")
        problems = []
        by_period = {}
        for package in packages:
            by_period.setdefault(package.period_id, []).append(package.version)
        for period, versions in by_period.items():
            if not package_engine.versions_in_sequence(versions):
                problems.append(
                    self.env._(
                        "Versions of period %(period)s: %(versions)s, not 1 to "
                        "%(count)s: a package was removed or renumbered.",
                        period=period.name,
                        versions=", ".join(str(v) for v in sorted(versions)),
                        count=len(versions),
                    )
                )
        before = self.browse()
        for package in packages:
            if before.hash_version == package_engine.HASH_VERSION and (
                package.hash_version != package_engine.HASH_VERSION
            ):
                problems.append(
                    self.env._(
                        "%s claims the legacy hash format after a package of "
                        "the current one.",
                        package.display_name,
                    )
                )
            elif (
                package.hash_version == package_engine.HASH_VERSION
                and package.previous_package_id != before
            ):
                problems.append(
                    self.env._(
                        "Chain broken: %(package)s does not follow %(before)s, "
                        "the package sealed before it.",
                        package=package.display_name,
                        before=before.display_name or self.env._("nothing"),
                    )
                )
            before = package
        # sudo: the head fields are readable by closing accountants/auditors;
        # verifying runs in sudo already
        head = company.sudo().sales_closing_package_head_id
        head_hash = company.sudo().sales_closing_package_head_hash
        newest = packages[-1:]
        if newest and (head != newest or head_hash != newest.chain_hash):
            problems.append(
                self.env._(
                    "The newest package %(newest)s is not the chain head recorded "
                    "for %(company)s (%(head)s, %(hash)s): a package was removed "
                    "or the chain rewritten. Compare with the head hash sent to "
                    "the auditor.",
                    newest=newest.display_name,
                    company=company.name,
                    head=head.display_name or self.env._("none"),
                    hash=head_hash or self.env._("none"),
                )
            )
        elif not newest and head:
            problems.append(
                self.env._(
                    "%(company)s records a chain head but has no package left.",
                    company=company.name,
                )
            )
        return problems

    def action_verify(self):
        """Recompute every hash of the packages and their chains; report."""
        user = self.env.user
        if not (
            user.has_group("sales_closing.group_closing_accountant")
            or user.has_group("sales_closing.group_closing_auditor")
        ):
            raise AccessError(
                self.env._("Only closing accountants and auditors can verify.")
            )
        self.check_access("read")
        now = fields.Datetime.now()
        messages = []
        # sudo: nobody has write access on packages; verifying only writes
        # the verify_* fields (write() refuses the rest) and must read every
        # attachment and chained package, whoever the verifier is.
        company_problems = {
            company: self.sudo()._company_problems(company)
            for company in self.company_id
        }
        for package in self.sudo():
            problems = package._chain_problems() + company_problems[package.company_id]
            if problems:
                message = "\n".join(problems)
            else:
                message = self.env._(
                    "Intact: snapshot, PDF, XLSX and chain match their hashes."
                )
            package.write(
                {
                    "verify_state": "tampered" if problems else "ok",
                    "verify_message": message,
                    "verify_date": now,
                }
            )
            # sudo above: auditors may not post on periods; the result is a
            # note signed with the verifier's partner.
            package.period_id.message_post(
                body=self.env._(
                    "Closing package %(package)s verified by %(user)s: %(result)s",
                    package=package.display_name,
                    user=user.name,
                    result=message,
                ),
                author_id=user.partner_id.id,
            )
            messages.append(f"{package.display_name}: {message}")
        tampered = any(package.verify_state == "tampered" for package in self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Tampering detected")
                if tampered
                else self.env._("Closing package intact"),
                "message": "\n".join(messages),
                "type": "danger" if tampered else "success",
                "sticky": tampered,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
