from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.fapiao.common import TAX_CODE_RE


class SalesClosingFapiaoTaxCode(models.Model):
    """One code of the State Taxation Administration's table of tax
    classification codes (商品和服务税收分类编码表).

    The addon ships the six categories (the first digit); the full table is
    imported from the file the tax platform or the invoicing software
    distributes (*Closing > E-Fapiao > Import Tax Code Table*), in one SQL
    statement per 1,000 codes.  Once leaf codes are loaded, a product's
    code must be one of them (see ``product.template``)."""

    _name = "sales.closing.fapiao.tax.code"
    _description = "E-Fapiao Tax Classification Code"
    _order = "code"
    _rec_names_search = ["code", "name", "short_name"]

    code = fields.Char(required=True, size=19, index=True, readonly=True)
    name = fields.Char(required=True, readonly=True, help="货物和劳务名称")
    short_name = fields.Char(
        readonly=True,
        help="商品和服务分类简称: printed between asterisks before the item name "
        "on the e-fapiao.",
    )
    parent_code = fields.Char(readonly=True, index=True)
    summary = fields.Boolean(
        string="Summary Item",
        readonly=True,
        help="汇总项: a category grouping other codes; never put on an invoice.",
    )
    available = fields.Boolean(
        readonly=True, default=True, help="可用状态: the code may be used."
    )
    rate = fields.Char(string="VAT Rate", readonly=True, help="增值税税率")
    description = fields.Text(readonly=True, help="说明")
    version = fields.Char(string="Table Version", readonly=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A tax classification code is listed once."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.code} {record.name or ''}".strip()

    @api.model
    def _leaves_loaded(self):
        """Whether a full table is loaded (the shipped categories are not)."""
        self.env.cr.execute(
            "SELECT 1 FROM sales_closing_fapiao_tax_code WHERE summary IS NOT TRUE "
            "LIMIT 1"
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _problems(self, codes):
        """``{code: 'unknown' | 'summary' | 'unavailable'}`` for the codes
        the loaded table refuses; empty when no table is loaded."""
        codes = {code for code in codes if code and TAX_CODE_RE.match(code)}
        if not codes or not self._leaves_loaded():
            return {}
        self.env.cr.execute(
            "SELECT code, summary, available FROM sales_closing_fapiao_tax_code "
            "WHERE code IN %s",
            [tuple(codes)],
        )
        found = {
            code: (summary, available)
            for code, summary, available in self.env.cr.fetchall()
        }
        problems = {}
        for code in codes:
            if code not in found:
                problems[code] = "unknown"
            elif found[code][0]:
                problems[code] = "summary"
            elif not found[code][1]:
                problems[code] = "unavailable"
        return problems

    @api.model
    def _load_table(self, entries, batch=1000):
        """Insert or update the codes of ``entries`` (dicts of
        :func:`engine.fapiao.tax_codes.read_table`); returns ``(created,
        updated)``.  Codes missing from the new table are kept, marked not
        available (products may still carry them).  One statement per
        ``batch`` codes; the ORM cache of the model is invalidated after."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("SELECT code FROM sales_closing_fapiao_tax_code")
        before = {row[0] for row in cr.fetchall()}
        uid = self.env.uid
        for start in range(0, len(entries), batch):
            chunk = entries[start : start + batch]
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now() at time "
                    "zone 'UTC', now() at time zone 'UTC')",
                    entry["code"],
                    entry["name"],
                    entry["short_name"] or None,
                    entry["parent"] or None,
                    bool(entry["summary"]),
                    bool(entry["available"]),
                    entry["rate"] or None,
                    entry["description"] or None,
                    entry["version"] or None,
                    uid,
                    uid,
                )
                for entry in chunk
            )
            cr.execute(
                SQL(
                    """
                    INSERT INTO sales_closing_fapiao_tax_code
                           (code, name, short_name, parent_code, summary,
                            available, rate, description, version,
                            create_uid, write_uid, create_date, write_date)
                    VALUES %s
                    ON CONFLICT (code) DO UPDATE
                       SET name = EXCLUDED.name,
                           short_name = EXCLUDED.short_name,
                           parent_code = EXCLUDED.parent_code,
                           summary = EXCLUDED.summary,
                           available = EXCLUDED.available,
                           rate = EXCLUDED.rate,
                           description = EXCLUDED.description,
                           version = EXCLUDED.version,
                           write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                    """,
                    values,
                )
            )
        gone = before - {entry["code"] for entry in entries}
        # the shipped categories (one digit) stay as they are
        gone = {code for code in gone if code.rstrip("0")[1:]}
        if gone:
            cr.execute(
                "UPDATE sales_closing_fapiao_tax_code SET available = FALSE "
                "WHERE code IN %s",
                [tuple(gone)],
            )
        self.invalidate_model()
        created = len({entry["code"] for entry in entries} - before)
        return created, len(entries) - created
