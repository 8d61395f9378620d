from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.fapiao import is_tax_code


class ProductTemplate(models.Model):
    _inherit = "product.template"

    sales_closing_fapiao_tax_code = fields.Char(
        string="Tax Classification Code",
        size=19,
        help="The 19-digit 商品和服务税收分类编码 of China's e-fapiao, from the "
        "State Taxation Administration's code table (商品和服务税收分类编码表).",
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
