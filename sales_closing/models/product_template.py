from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.fapiao import is_tax_code


class ProductTemplate(models.Model):
    _inherit = "product.template"

    sales_closing_fapiao_tax_code = fields.Char(
        string="Tax Classification Code",
        size=19,
        help="The 19-digit 商品和服务税收分类编码 of China's e-fapiao, from the "
        "State Taxation Administration's code table (商品和服务税收分类编码表). "
        "Once the table is imported, the code must be one of its leaf codes.",
    )
    sales_closing_fapiao_tax_code_name = fields.Char(
        string="Tax Classification",
        compute="_compute_sales_closing_fapiao_tax_code_name",
        help="The name and short name of the code in the imported code table.",
    )

    @api.depends("sales_closing_fapiao_tax_code")
    def _compute_sales_closing_fapiao_tax_code_name(self):
        codes = self.mapped("sales_closing_fapiao_tax_code")
        table = self.env["sales.closing.fapiao.tax.code"].search(
            [("code", "in", [code for code in codes if code])]
        )
        names = {
            entry.code: f"*{entry.short_name}* {entry.name}"
            if entry.short_name
            else entry.name
            for entry in table
        }
        for product in self:
            product.sales_closing_fapiao_tax_code_name = names.get(
                product.sales_closing_fapiao_tax_code, False
            )

    @api.constrains("sales_closing_fapiao_tax_code")
    def _check_sales_closing_fapiao_tax_code(self):
        for product in self:
            code = product.sales_closing_fapiao_tax_code
            if code and not is_tax_code(code):
                raise ValidationError(
                    self.env._(
                        "%(product)s: the tax classification code %(code)s must "
                        "have 19 digits, the first one from 1 to 6.",
                        product=product.display_name,
                        code=code,
                    )
                )
        # against the imported code table (when one is loaded): one query
        problems = self.env["sales.closing.fapiao.tax.code"]._problems(
            self.mapped("sales_closing_fapiao_tax_code")
        )
        for product in self:
            problem = problems.get(product.sales_closing_fapiao_tax_code)
            if not problem:
                continue
            messages = {
                "unknown": self.env._(
                    "%(product)s: the tax classification code %(code)s is not "
                    "in the imported code table (商品和服务税收分类编码表).",
                    product=product.display_name,
                    code=product.sales_closing_fapiao_tax_code,
                ),
                "summary": self.env._(
                    "%(product)s: the tax classification code %(code)s is a "
                    "summary item (汇总项) of the code table; choose one of the "
                    "codes under it.",
                    product=product.display_name,
                    code=product.sales_closing_fapiao_tax_code,
                ),
                "unavailable": self.env._(
                    "%(product)s: the tax classification code %(code)s is no "
                    "longer available in the imported code table.",
                    product=product.display_name,
                    code=product.sales_closing_fapiao_tax_code,
                ),
            }
            raise ValidationError(messages[problem])
