from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(
        self, modules, langs, overwrite=False, imported_module=False
    ):
        """Loading a language also translates the default reminder levels and
        policies created from code before it was loaded."""
        result = super()._load_module_terms(
            modules, langs, overwrite=overwrite, imported_module=imported_module
        )
        if "sales_closing_payments" in modules:
            # sudo: the levels of every company, whoever loads the language
            self.env["sales.closing.dunning.level"].sudo()._translate_default_texts()
        return result
