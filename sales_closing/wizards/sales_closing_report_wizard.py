# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import xlsx_table
from ..tools import selection_label, selection_labels

REPORT_MODELS = {
    "sales": "sales.closing.sales.report",
    "collection": "sales.closing.collection.analysis",
    "aging": "sales.closing.aging.report",
}


class SalesClosingReportWizard(models.TransientModel):
    """Filters for the closing reports: XLSX export of each, collection PDF.

    Every figure comes from ``_read_group`` on the report's SQL view, read
    as the current user: record rules apply (a sales user exports only
    their own customers' rows) and each sheet is one query.
    """

    _name = "sales.closing.report.wizard"
    _description = "Closing Reports: Export and Print"

    report = fields.Selection(
        [
            ("sales", "Sales Analysis"),
            ("collection", "Collection (Due vs Collected)"),
            ("aging", "Receivables Aging"),
        ],
        required=True,
        default="collection",
    )
    date_from = fields.Date(
        string="From",
        default=lambda self: fields.Date.context_today(self).replace(day=1),
        help="Sales: order date; collection: due date of installments and "
        "date of collections.  The aging is always as of today.",
    )
    date_to = fields.Date(
        string="To",
        default=lambda self: (
            fields.Date.context_today(self).replace(day=1)
            + relativedelta(months=1, days=-1)
        ),
    )
    partner_ids = fields.Many2many("res.partner", string="Customers")
    user_ids = fields.Many2many("res.users", string="Salespersons")

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if (
                wizard.date_from
                and wizard.date_to
                and wizard.date_from > wizard.date_to
            ):
                raise UserError(
                    self.env._(
                        "The start date %(start)s is after the end date %(end)s.",
                        start=wizard.date_from,
                        end=wizard.date_to,
                    )
                )

    # ------------------------------------------------------------------
    # Filters
    # ------------------------------------------------------------------
    def _domain(self, report=None):
        """The report view's domain for the wizard's filters."""
        self.ensure_one()
        report = report or self.report
        domain = [("company_id", "in", self.env.companies.ids)]
        if self.partner_ids:
            field = "commercial_partner_id" if report == "sales" else "partner_id"
            domain.append((field, "in", self.partner_ids.commercial_partner_id.ids))
        if self.user_ids:
            domain.append(("user_id", "in", self.user_ids.ids))
        if report == "sales":
            if self.date_from:
                domain.append(
                    (
                        "date",
                        ">=",
                        datetime.combine(self.date_from, datetime.min.time()),
                    )
                )
            if self.date_to:
                end = datetime.combine(
                    self.date_to + relativedelta(days=1), datetime.min.time()
                )
                domain.append(("date", "<", end))
        elif report == "collection":
            if self.date_from:
                domain.append(("date", ">=", self.date_from))
            if self.date_to:
                domain.append(("date", "<=", self.date_to))
        return domain

    def _report_name(self, report=None):
        selection = self._fields["report"]._description_selection(self.env)
        return dict(selection)[report or self.report]

    def _period_label(self, report=None):
        report = report or self.report
        if report == "aging":
            return self.env._("as of %(date)s", date=fields.Date.context_today(self))
        return f"{self.date_from or '...'} - {self.date_to or '...'}"

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    def _label(self, model, groupby, value):
        """Text of a group key of ``_read_group``."""
        fname, __, granularity = groupby.partition(":")
        if isinstance(value, models.BaseModel):
            return value.display_name or self.env._("None")
        if isinstance(value, date):
            if granularity == "month":
                return value.strftime("%Y-%m")
            if granularity == "week":
                return value.strftime("%G-W%V")
            return value.isoformat()
        field = model._fields[fname]
        if field.type == "selection":
            return selection_label(model, fname, value)
        return value or self.env._("None")

    def _grouped(self, report, groupby, aggregates, domain=None):
        """``[[label, *values], ...]`` and the totals of ``aggregates``."""
        model = self.env[REPORT_MODELS[report]]
        domain = self._domain(report) if domain is None else domain
        groups = model._read_group(domain, [groupby], aggregates, order=groupby)
        rows = [
            [self._label(model, groupby, key), *(value or 0.0 for value in values)]
            for key, *values in groups
        ]
        (totals,) = model._read_group(domain, [], aggregates)
        return rows, [self.env._("Total"), *(value or 0.0 for value in totals)]

    def _sheet(self, report, title, groupby, label, measures, domain=None):
        """A sheet of ``engine.xlsx_table`` grouped by ``groupby``."""
        rows, totals = self._grouped(
            report, groupby, [spec for spec, __, __ in measures], domain
        )
        return {
            "title": title,
            "heading": f"{self._report_name(report)} ({self._period_label(report)})",
            "columns": [(label, "text")]
            + [(name, kind) for __, name, kind in measures],
            "rows": rows,
            "totals": totals,
        }

    def _sales_sheets(self):
        measures = [
            ("product_uom_qty:sum", self.env._("Quantity"), "money"),
            ("price_subtotal:sum", self.env._("Untaxed Amount"), "money"),
            ("cost:sum", self.env._("Cost"), "money"),
            ("margin:sum", self.env._("Margin"), "money"),
            ("margin_percent:sum", self.env._("Margin %"), "percent"),
        ]
        return [
            self._sheet("sales", title, groupby, label, measures)
            for title, groupby, label in (
                (self.env._("By Month"), "date:month", self.env._("Month")),
                (self.env._("By Day"), "date:day", self.env._("Day")),
                (
                    self.env._("By Customer"),
                    "commercial_partner_id",
                    self.env._("Customer"),
                ),
                (self.env._("By Salesperson"), "user_id", self.env._("Salesperson")),
                (self.env._("By Product"), "product_id", self.env._("Product")),
                (self.env._("By Category"), "categ_id", self.env._("Product Category")),
                (self.env._("By Country"), "country_id", self.env._("Country")),
                (self.env._("By Region"), "state_id", self.env._("State / Region")),
            )
        ]

    def _collection_measures(self):
        return [
            ("amount_due:sum", self.env._("Due"), "money"),
            ("amount_collected:sum", self.env._("Collected"), "money"),
            ("amount_open:sum", self.env._("Still Open"), "money"),
        ]

    def _collection_sheets(self):
        measures = self._collection_measures()
        return [
            self._sheet("collection", title, groupby, label, measures)
            for title, groupby, label in (
                (self.env._("By Customer"), "partner_id", self.env._("Customer")),
                (self.env._("By Salesperson"), "user_id", self.env._("Salesperson")),
                (self.env._("By Day"), "date:day", self.env._("Day")),
                (self.env._("By Month"), "date:month", self.env._("Month")),
            )
        ]

    def _aging_measures(self):
        model = self.env[REPORT_MODELS["aging"]]
        names = (
            "amount_not_due",
            "amount_1_30",
            "amount_31_60",
            "amount_61_90",
            "amount_90",
            "amount_residual",
        )
        return [
            (f"{name}:sum", model._fields[name]._description_string(self.env), "money")
            for name in names
        ]

    def _aging_sheets(self):
        measures = self._aging_measures()
        sheets = [
            self._sheet("aging", title, groupby, label, measures)
            for title, groupby, label in (
                (self.env._("By Customer"), "partner_id", self.env._("Customer")),
                (self.env._("By Salesperson"), "user_id", self.env._("Salesperson")),
            )
        ]
        lines = self.env[REPORT_MODELS["aging"]].search_fetch(
            self._domain("aging"),
            [
                "move_id",
                "partner_id",
                "user_id",
                "date_maturity",
                "days_overdue",
                "aging_bucket",
                "amount_residual",
            ],
            order="partner_id, date_maturity, id",
        )
        buckets = selection_labels(lines, "aging_bucket")
        sheets.append(
            {
                "title": self.env._("Open Items"),
                "columns": [
                    (self.env._("Entry"), "text"),
                    (self.env._("Customer"), "text"),
                    (self.env._("Salesperson"), "text"),
                    (self.env._("Due Date"), "date"),
                    (self.env._("Days Overdue"), "int"),
                    (self.env._("Bucket"), "text"),
                    (self.env._("Open Amount"), "money"),
                ],
                "rows": [
                    [
                        line.move_id.display_name,
                        line.partner_id.display_name or "",
                        line.user_id.display_name or "",
                        line.date_maturity,
                        line.days_overdue,
                        buckets.get(line.aging_bucket, ""),
                        line.amount_residual,
                    ]
                    for line in lines
                ],
            }
        )
        return sheets

    def _xlsx_content(self):
        """The XLSX workbook (bytes) of the chosen report and filters."""
        self.ensure_one()
        sheets = getattr(self, f"_{self.report}_sheets")()
        return xlsx_table.workbook(sheets)

    def _collection_summary(self):
        """Due vs collected per customer and totals, for the PDF."""
        self.ensure_one()
        rows, totals = self._grouped(
            "collection",
            "partner_id",
            [spec for spec, __, __ in self._collection_measures()],
            self._domain("collection"),
        )
        months, __ = self._grouped(
            "collection",
            "date:month",
            [spec for spec, __, __ in self._collection_measures()],
            self._domain("collection"),
        )
        return {"customers": rows, "months": months, "totals": totals}

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_export_xlsx(self):
        """Build the workbook as an attachment of the wizard and download it.

        The attachment goes with the wizard when the transient record is
        vacuumed (``unlink`` removes a record's attachments).
        """
        self.ensure_one()
        name = self._report_name()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{name} {self._period_label()}.xlsx".replace("/", "-"),
                "raw": self._xlsx_content(),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_print_pdf(self):
        """The collection report PDF for the chosen dates and filters."""
        self.ensure_one()
        if self.report != "collection":
            raise UserError(
                self.env._(
                    "Only the collection report has a PDF; export the "
                    "%(report)s to XLSX instead.",
                    report=self._report_name(),
                )
            )
        return self.env.ref("sales_closing.action_report_collection").report_action(
            self
        )
