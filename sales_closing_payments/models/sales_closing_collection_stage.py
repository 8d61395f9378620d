from odoo import fields, models


class SalesClosingCollectionStage(models.Model):
    _name = "sales.closing.collection.stage"
    _description = "Collection Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(string="Folded in Kanban")
    is_closed = fields.Boolean(
        string="Closed Stage",
        help="Cases in this stage are finished: they no longer block orders.",
    )
    description = fields.Text(translate=True)
