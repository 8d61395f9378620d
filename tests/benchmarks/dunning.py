"""Benchmark: a payment reminder run over many overdue invoices.

Usage (from the repository root)::

    ./tests/benchmarks/run dunning [--invoices 500] [--customers 50]

Creates the overdue invoices through the ORM (spread over the levels), then
times, in a transaction rolled back each time: planning the day's run
(``_plan``), sending it (one email and letter per customer, a note per
invoice), escalating after the last level, and the order-block lookup for all
the customers. Prints the figures; nothing is kept.
"""

import argparse
import time
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry


def populate(env, invoices, customers):
    partners = env["res.partner"].create(
        [
            {"name": f"Bench Customer {n}", "email": f"bench{n}@example.com"}
            for n in range(customers)
        ]
    )
    today = fields.Date.context_today(env["res.partner"])
    values = []
    for n in range(invoices):
        due = today - timedelta(days=(n * 7) % 45 - 5)
        values.append(
            {
                "move_type": "out_invoice",
                "partner_id": partners[n % customers].id,
                "invoice_date": min(due, today),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Bench", "price_unit": 100.0 + n, "tax_ids": False}
                    )
                ],
            }
        )
    moves = env["account.move"].create(values)
    for move, vals in zip(moves, values, strict=True):
        move.invoice_date_due = vals["invoice_date_due"]
    moves.action_post()
    return partners, moves


def timed(label, function):
    start = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.3f} s")
    return result, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench")
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--customers", type=int, default=50)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company = env.company
        env["sales.closing.dunning.level"]._create_default_levels(company)
        (partners, moves), _ = timed(
            f"create and post {args.invoices} invoices",
            lambda: populate(env, args.invoices, args.customers),
        )
        env.flush_all()
        Run = env["sales.closing.dunning.run"]
        run, plan_time = timed("plan the run", lambda: Run._plan(company))
        env.flush_all()
        print(
            f"  {len(run.line_ids)} reminders for {len(run.line_ids.partner_id)} "
            f"customers ({len(run.line_ids) / plan_time:.0f} reminders/s)"
        )
        _, again = timed("plan again (nothing new)", lambda: Run._plan(company))
        _, send_time = timed(
            "send the run", lambda: (run.line_ids._send(), env.flush_all())
        )
        print(f"  {len(run.line_ids.partner_id) / send_time:.1f} customers/s")
        cases, _ = timed(
            "escalate", lambda: env["sales.closing.collection.case"]._escalate(company)
        )
        print(f"  {len(cases)} cases opened")
        blocks, _ = timed(
            "order-block lookup for all customers",
            lambda: env["sales.closing.collection.case"]._order_blocks(
                partners, company
            ),
        )
        print(f"  {len(blocks)} customers blocked")
        cr.rollback()


if __name__ == "__main__":
    main()
