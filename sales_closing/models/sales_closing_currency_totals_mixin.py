import re

from odoo import api, models

# "amount", "amount:sum" or "total:sum(amount)"
AGGREGATE_SPEC = re.compile(r"^(?P<key>\w+)(?::(?P<func>\w+)(?:\((?P<field>\w+)\))?)?$")
# what adds amounts up (max, min, count... of amounts are left alone)
ADDING = ("sum", "avg")


class SalesClosingCurrencyTotalsMixin(models.AbstractModel):
    """Group totals in one currency: a group of records in several currencies
    gets no total of their amounts (monetary fields), rather than euros and
    yuan added together.

    Odoo's list footer already refuses to add amounts of several currencies;
    its group rows, kanban column totals and pivot cells come from
    :meth:`read_group`, which adds whatever the group holds: there, a group
    whose amounts are in more than one currency gets ``False`` for them.
    Group by company or currency to see a total per currency.
    """

    _name = "sales.closing.currency.totals.mixin"
    _description = "Sales Closing Group Totals in One Currency"
    # {field: currency field} of the fields a group computes as a ratio of
    # sums of amounts (not monetary themselves)
    _sales_closing_amount_ratios = {}

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        groups = super().read_group(
            domain,
            fields,
            groupby,
            offset=offset,
            limit=limit,
            orderby=orderby,
            lazy=lazy,
        )
        if not groups or not self._sales_closing_one_currency_totals():
            return groups
        amounts = self._sales_closing_summed_amounts(fields)
        if not amounts:
            return groups
        for group in groups:
            group_domain = group.get("__domain", domain)
            for currency_field, keys in amounts.items():
                if (
                    len(self._sales_closing_currencies(group_domain, currency_field))
                    > 1
                ):
                    for key in keys:
                        if key in group:
                            group[key] = False
        return groups

    @api.model
    def _sales_closing_one_currency_totals(self):
        """Whether group totals are kept in one currency (always, unless a
        model of Odoo inheriting the mixin keeps Odoo's totals on its own
        screens)."""
        return True

    @api.model
    def _sales_closing_summed_amounts(self, specs):
        """``{currency field: [keys of the result]}`` of the monetary
        fields that ``specs`` (read_group's ``fields``) add up."""
        amounts = {}
        for spec in specs or ():
            match = AGGREGATE_SPEC.match(spec.strip())
            if not match:
                continue
            fname = match["field"] or match["key"]
            field = self._fields.get(fname)
            if fname in self._sales_closing_amount_ratios:
                # a ratio of two sums of amounts (margin %): the sums of
                # several currencies weigh them wrongly
                currency_field = self._sales_closing_amount_ratios[fname]
                amounts.setdefault(currency_field, []).append(match["key"])
                continue
            if not field or field.type != "monetary":
                continue
            if (match["func"] or field.aggregator) not in ADDING:
                continue
            currency_field = field.get_currency_field(self)
            amounts.setdefault(currency_field, []).append(match["key"])
        return amounts

    @api.model
    def _sales_closing_currencies(self, domain, currency_field):
        """The currencies of ``currency_field`` of the records of ``domain``
        (one query)."""
        field = self._fields[currency_field]
        if field.store:
            path = [currency_field]
        elif field.related:
            path = field.related.split(".")
        else:
            return self.env["res.currency"].browse()
        [(records,)] = self._read_group(domain, [], [f"{path[0]}:recordset"])
        return records.mapped(".".join(path[1:])) if len(path) > 1 else records
