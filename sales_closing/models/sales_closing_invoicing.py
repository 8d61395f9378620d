"""Invoicing automation service: the cron and the batch around the engine.

The decisions (what to invoice, how to group) are in
``engine/invoicing.py``; this model selects the orders (SQL, ``FOR UPDATE
SKIP LOCKED``), creates, posts and sends the invoices in batch, and flags the
orders it could not handle.
"""

import functools
import logging
import threading

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import SQL, config
from odoo.tools.translate import LazyTranslate

from ..engine import invoicing as engine

_logger = logging.getLogger(__name__)
# A failure is kept as lazy texts, written in each reader's language: the
# activity in its assignee's, the order's field and chatter in the run's.
_lt = LazyTranslate(__name__)

BATCH_SIZE = 200
ATTENTION_ACTIVITY = "sales_closing.mail_activity_invoicing_failed"


class SalesClosingInvoicing(models.AbstractModel):
    _name = "sales.closing.invoicing"
    _description = "Sales Closing Invoicing Automation"

    # ------------------------------------------------------------------
    # Selection
    # ------------------------------------------------------------------
    @api.model
    def _candidates(self, limit=BATCH_SIZE, after_id=0, order_ids=None, lock=True):
        """Ids of the next orders the automation may have to invoice.

        Confirmed orders of an automatic policy, not flagged, with a line
        whose quantity still to invoice agrees with what the automation has
        not invoiced yet (so orders whose only "to invoice" comes from a
        user's credit note are not taken again and again), period-end
        orders only once their period is over.  The rows are locked with
        ``SKIP LOCKED``: a concurrent run takes other orders.
        """
        today = fields.Date.context_today(self)
        query = SQL(
            """
            SELECT o.id
              FROM sale_order o
              JOIN res_company c ON c.id = o.company_id
              JOIN res_partner p ON p.id = o.partner_id
              JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
             WHERE o.state = 'sale'
               AND o.id > %(after)s
               AND o.sales_closing_invoice_error IS NULL
               AND %(policy)s != 'manual'
               AND (%(policy)s != 'period'
                    OR (date_trunc(c.sales_closing_period_kind, o.date_order)
                        + ('1 ' || c.sales_closing_period_kind)::interval)::date
                       <= %(today)s)
               AND EXISTS (
                   SELECT 1 FROM sale_order_line l
                    WHERE l.order_id = o.id
                      AND l.display_type IS NULL
                      AND NOT COALESCE(l.is_downpayment, FALSE)
                      AND abs(l.qty_to_invoice) > %(eps)s
                      AND sign(l.qty_to_invoice) = sign(
                          l.qty_to_invoice + l.qty_invoiced
                          - COALESCE(l.sales_closing_auto_qty, 0))
               )
               %(ids)s
             ORDER BY o.id
             LIMIT %(limit)s
             %(lock)s
            """,
            after=after_id,
            policy=SQL(
                "COALESCE(cp.sales_closing_invoice_policy ->> o.company_id::text, "
                "c.sales_closing_invoice_policy, 'manual')"
            ),
            today=today,
            eps=engine.PRECISION,
            ids=SQL("AND o.id = ANY(%s)", list(order_ids))
            if order_ids is not None
            else SQL(),
            limit=limit,
            lock=SQL("FOR UPDATE OF o SKIP LOCKED") if lock else SQL(),
        )
        self.env.flush_all()
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------
    @api.model
    def _cron_invoice(self, batch_size=BATCH_SIZE, commit=None):
        """Invoice, post and send in batches; commit each batch (not in tests)."""
        if commit is None:
            testing = getattr(threading.current_thread(), "testing", False)
            commit = not (
                testing or config["test_enable"] or modules.module.current_test
            )
        # sudo: the automation acts for the company, whoever the cron user is
        self = self.sudo()  # noqa: PLW0642
        after_id = 0
        count = 0
        while True:
            try:
                ids = self._candidates(limit=batch_size, after_id=after_id)
            except pg_errors.SerializationFailure:
                # another run changed these orders since this transaction
                # began: it has them, stop here (the next run goes on)
                _logger.info("Invoicing automation: concurrent run, stopping")
                self.env.cr.rollback()
                break
            if not ids:
                break
            after_id = ids[-1]
            orders = self.env["sale.order"].browse(ids)
            self._process(orders)
            count += len(ids)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
        _logger.info("Invoicing automation: %s orders examined", count)
        return count

    @api.model
    def _trigger(self):
        cron = self.env.ref(
            "sales_closing.ir_cron_sales_closing_invoice", raise_if_not_found=False
        )
        if cron:
            cron._trigger()

    # ------------------------------------------------------------------
    # Batch
    # ------------------------------------------------------------------
    @api.model
    def _order_data(self, orders):
        """Engine dicts of ``orders``, keyed by order id (batch reads)."""
        orders.fetch(
            [
                "company_id",
                "partner_id",
                "partner_invoice_id",
                "currency_id",
                "pricelist_id",
                "journal_id",
                "date_order",
                "order_line",
            ]
        )
        lines = orders.order_line
        lines.fetch(
            [
                "display_type",
                "is_downpayment",
                "product_id",
                "product_uom_qty",
                "qty_to_invoice",
                "qty_invoiced",
                "sales_closing_auto_qty",
                "price_unit",
            ]
        )
        policies = orders._sales_closing_policies()
        result = {}
        for order in orders:
            company = order.company_id
            order_lines = []
            for line in order.order_line:
                if line.display_type:
                    continue
                order_lines.append(
                    {
                        "ref": line.id,
                        "basis": line.qty_to_invoice + line.qty_invoiced,
                        "qty_invoiced": line.qty_invoiced,
                        "auto_qty": line.sales_closing_auto_qty,
                        "qty_to_invoice": line.qty_to_invoice,
                        "is_goods": line.product_id.type == "consu",
                        "is_downpayment": line.is_downpayment,
                        "ordered": line.product_uom_qty,
                        "price_unit": line.price_unit,
                    }
                )
            result[order.id] = {
                "id": order.id,
                "policy": policies[order],
                "period_kind": company.sales_closing_period_kind,
                "date": fields.Date.context_today(order, order.date_order),
                "company": company.id,
                "invoice_partner": order.partner_invoice_id.id,
                "currency": order.currency_id.id,
                "pricelist_currency": order.pricelist_id.currency_id.id or None,
                "journal_currency": order.journal_id.currency_id.id or None,
                "lines": order_lines,
            }
        return result

    @api.model
    def _input_error(self, order, errors):
        """The messages (lazy texts) of the bad input ``errors`` of ``order``."""
        lines = {line.id: line for line in order.order_line}
        messages = []
        for code, ref in errors:
            line = lines.get(ref)
            label = line and (line.product_id.display_name or line.name)
            if code == engine.CURRENCY_MISMATCH:
                messages.append(
                    _lt(
                        "Order %(order)s is in %(currency)s but its pricelist "
                        "or invoicing journal is in %(other)s.",
                        order=order.name,
                        currency=order.currency_id.name,
                        other=", ".join(
                            {
                                c.name
                                for c in order.pricelist_id.currency_id
                                | order.journal_id.currency_id
                                if c != order.currency_id
                            }
                        ),
                    )
                )
            elif code == engine.NEGATIVE_QTY:
                messages.append(
                    _lt(
                        "Order %(order)s, line %(line)s: the quantity %(qty)s "
                        "is negative.",
                        order=order.name,
                        line=label,
                        qty=line.product_uom_qty,
                    )
                )
            elif code == engine.ZERO_PRICE:
                messages.append(
                    _lt(
                        "Order %(order)s, line %(line)s: the unit price is zero; "
                        "invoice it by hand if it is meant to be free.",
                        order=order.name,
                        line=label,
                    )
                )
        return messages

    @api.model
    def _process(self, orders, raise_errors=False):
        """Invoice, post and send what ``orders`` need now.

        With ``raise_errors`` (a user asked), bad input and failures raise a
        ``UserError``; otherwise the orders concerned are flagged and the
        others go through.  Returns the invoices created.
        """
        today = fields.Date.context_today(self)
        data = self._order_data(orders)
        failures = {}
        plans = []
        for order in orders:
            item = data[order.id]
            result = engine.plan(item, today)
            if not result:
                continue
            for line in item["lines"]:
                line["qty"] = result["lines"].get(line["ref"], 0.0)
            bad = engine.check_order(item)
            if bad:
                failures[order] = self._input_error(order, bad)
                continue
            plans.append((item, result))
        if raise_errors and failures:
            raise UserError("\n".join(self._failure_text(f) for f in failures.values()))
        moves = self._create(orders, plans, failures, raise_errors)
        pending = orders.invoice_ids.filtered(
            lambda m: (
                m.sales_closing_auto
                and not m.sales_closing_user_reset
                and m.state == "draft"
            )
        )
        to_post = (moves | pending).filtered(
            lambda m: m.state == "draft" and m.company_id.sales_closing_invoice_post
        )
        posted = self._apply(
            to_post, lambda ms: ms.action_post(), failures, raise_errors
        )
        to_send = posted.filtered(lambda m: m.company_id.sales_closing_invoice_send)
        self._send(to_send, failures, raise_errors)
        self._send_sms(
            posted.filtered(lambda m: m.company_id.sales_closing_invoice_sms),
            failures,
        )
        if failures:
            self._flag(failures)
        return moves

    def _create(self, orders, plans, failures, raise_errors):
        """Create the invoices of ``plans``: all at once, else group by group."""
        Order = self.env["sale.order"]
        grouped = engine.groups(plans)
        results = {item["id"]: result for item, result in plans}
        quantities = {}
        for result in results.values():
            quantities.update(result["lines"])
        # one call per kind: the single orders together (one invoice each),
        # the period-end groups of one period together (Odoo groups them by
        # company, invoice address and currency: our key without the period)
        calls = {}
        for key, ids in grouped.items():
            final = any(results[i]["final"] for i in ids)
            if key[0] == "order":
                call = calls.setdefault(("order", final), ([], final, True))
            else:
                call = calls.setdefault((key[4], final), ([], final, False))
            call[0].append(ids)
        calls = list(calls.values())

        def create(ids, final, one_per_order):
            group = Order.browse(ids)
            moves = group.with_context(
                sales_closing_invoice_qty=tuple(
                    (line.id, quantities[line.id])
                    for line in group.order_line
                    if line.id in quantities
                ),
                raise_if_nothing_to_invoice=False,
            )._create_invoices(grouped=one_per_order, final=final)
            moves.sudo().write({"sales_closing_auto": True})
            self._add_auto_qty(
                {
                    line.id: quantities[line.id]
                    for line in group.order_line
                    if line.id in quantities
                }
            )
            return moves

        moves = self.env["account.move"]
        if raise_errors:
            for units, final, one_per_order in calls:
                moves |= create(sum(units, []), final, one_per_order)
            return moves
        try:
            with self.env.cr.savepoint():
                for units, final, one_per_order in calls:
                    moves |= create(sum(units, []), final, one_per_order)
            return moves
        except Exception:  # pylint: disable=broad-except
            # one order spoils the batch: find it, order by order (a
            # period-end group is one invoice: group by group)
            _logger.info("Invoicing automation: batch failed, retrying one by one")
            self.env.invalidate_all()
        moves = self.env["account.move"]
        for units, final, one_per_order in calls:
            for unit in units:
                try:
                    with self.env.cr.savepoint():
                        moves |= create(unit, final, one_per_order)
                except Exception as error:  # pylint: disable=broad-except
                    self.env.invalidate_all()
                    message = self._error_message(error)
                    for order in Order.browse(unit):
                        failures[order] = _lt(
                            "Order %(order)s could not be invoiced: %(error)s",
                            order=order.name,
                            error=message,
                        )
        return moves

    def _add_auto_qty(self, quantities):
        """Add to the quantity the automation invoiced, one query."""
        if not quantities:
            return
        Line = self.env["sale.order.line"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_order_line l
                   SET sales_closing_auto_qty = COALESCE(l.sales_closing_auto_qty, 0)
                       + v.qty
                  FROM unnest(%s::int[], %s::numeric[]) AS v(id, qty)
                 WHERE l.id = v.id
                """,
                list(quantities),
                list(quantities.values()),
            )
        )
        Line.browse(list(quantities)).invalidate_recordset(["sales_closing_auto_qty"])

    @api.model
    def _error_message(self, error):
        if isinstance(error, UserError):
            return error.args[0]
        return f"{type(error).__name__}: {error}"

    def _apply(self, moves, action, failures, raise_errors):
        """Run ``action`` on ``moves`` at once, else one by one; the moves done."""
        if not moves:
            return moves
        if raise_errors:
            action(moves)
            return moves
        try:
            with self.env.cr.savepoint():
                action(moves)
            return moves
        except Exception:  # pylint: disable=broad-except
            self.env.invalidate_all()
        done = self.env["account.move"]
        for move in moves:
            try:
                with self.env.cr.savepoint():
                    action(move)
                done |= move
            except Exception as error:  # pylint: disable=broad-except
                self.env.invalidate_all()
                message = self._error_message(error)
                for order in move.line_ids.sale_line_ids.order_id:
                    failures[order] = _lt(
                        "Invoice %(invoice)s of order %(order)s: %(error)s",
                        invoice=move.name or move.display_name,
                        order=order.name,
                        error=message,
                    )
        return done

    def _send(self, moves, failures, raise_errors):
        """Email ``moves`` with their PDF through Odoo's sending logic."""
        no_email = moves.filtered(lambda m: not m.partner_id.email)
        for move in no_email:
            for order in move.line_ids.sale_line_ids.order_id:
                failures[order] = _lt(
                    "Invoice %(invoice)s of order %(order)s is posted but not "
                    "sent: %(partner)s has no email address.",
                    invoice=move.name,
                    order=order.name,
                    partner=move.partner_id.display_name,
                )
        moves -= no_email
        by_template = {}
        for move in moves:
            by_template.setdefault(
                move.company_id.sales_closing_invoice_mail_template_id, []
            ).append(move.id)
        for template, ids in by_template.items():
            settings = {"sending_methods": ["email"]}
            if template:
                settings["mail_template"] = template
            self._apply(
                self.env["account.move"].browse(ids),
                functools.partial(self._send_batch, settings=settings),
                failures,
                raise_errors,
            )

    def _send_batch(self, moves, settings):
        self.env["account.move.send"]._generate_and_send_invoices(moves, **settings)

    def _send_sms(self, moves, failures):
        """Text the invoice link where the SMS module is installed."""
        if not moves or "sms.sms" not in self.env:
            return
        info = moves._sms_get_recipients_info()
        values = []
        logs = {}
        for move in moves:
            number = info.get(move.id, {}).get("sanitized")
            if not number:
                for order in move.line_ids.sale_line_ids.order_id:
                    failures.setdefault(
                        order,
                        _lt(
                            "Invoice %(invoice)s of order %(order)s: no mobile "
                            "number to send the SMS to.",
                            invoice=move.name,
                            order=order.name,
                        ),
                    )
                continue
            # Formatted outside _(): babel's extractor evaluates f-strings.
            amount = f"{move.amount_total:.2f} {move.currency_id.name}"
            body = self.env._(
                "%(company)s: invoice %(invoice)s of %(amount)s, due %(due)s. %(url)s",
                company=move.company_id.name,
                invoice=move.name,
                amount=amount,
                due=move.invoice_date_due or "",
                url=move.get_base_url() + move.get_portal_url(),
            )
            values.append(
                {
                    "number": number,
                    "body": body,
                    "partner_id": info[move.id]["partner"].id or False,
                    "state": "outgoing",
                }
            )
            logs[move.id] = Markup("%s") % body
        if values:
            # sudo: text messages are queued by the system, not the user
            self.env["sms.sms"].sudo().create(values)
            moves.browse(list(logs))._message_log_batch(
                bodies={k: self.env._("SMS sent: %s", v) for k, v in logs.items()}
            )

    @api.model
    def _failure_text(self, failure, env=None):
        """``failure`` (a lazy text, or a list of them) in ``env``'s language."""
        env = env or self.env
        parts = failure if isinstance(failure, list) else [failure]
        return "\n".join(env._(part) for part in parts)

    def _flag(self, failures):
        """Show each failure on its order: field, activity, chatter, log."""
        for order, failure in failures.items():
            message = self._failure_text(failure)
            _logger.warning(
                "Invoicing automation: %s",
                self._failure_text(failure, self.with_context(lang="en_US").env),
            )
            order.sudo().write({"sales_closing_invoice_error": message})
            user = order.user_id or self.env.ref("base.user_admin")
            order.sudo().activity_schedule(
                ATTENTION_ACTIVITY,
                user_id=user.id,
                # in the language of the user who gets the activity
                note=self._failure_text(failure, user.with_context(lang=user.lang).env),
            )
            order.sudo().message_post(
                body=self.env._("Invoicing automation failed: %s", message)
            )
