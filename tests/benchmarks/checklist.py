"""Benchmark: a full checklist run on a period with 100,000 order lines.

Usage (from the repository root)::

    ./tests/benchmarks/run checklist [--lines 100000] [--keep]

Builds the database ``sales_closing_bench`` (the addons without demo data),
inserts the order lines with SQL (10 lines per order, half of them left to
invoice), then times ``action_run_checks()`` on the period, three times, and each
check alone, and prints the figures. The goal is under 2 s.
"""

import argparse
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry


def populate(env, lines):
    cr = env.cr
    company = env.company
    partner = env["res.partner"].create({"name": "Benchmark Customer"})
    product = env["product.product"].create({"name": "Benchmark Good"})
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    orders = lines // 10
    cr.execute(
        """
        INSERT INTO sale_order (name, partner_id, partner_invoice_id,
            partner_shipping_id, date_order, company_id, currency_id, state,
            picking_policy, warehouse_id, invoice_status,
            sales_closing_approval_state)
        SELECT 'BENCH' || n, %(partner)s, %(partner)s, %(partner)s,
            '2026-01-01'::timestamp + (n %% 28) * interval '1 day',
            %(company)s, %(currency)s, 'sale', 'direct', %(warehouse)s, 'to invoice',
            'none'
        FROM generate_series(1, %(orders)s) n
        RETURNING id
        """,
        {
            "partner": partner.id,
            "company": company.id,
            "currency": company.currency_id.id,
            "warehouse": warehouse.id,
            "orders": orders,
        },
    )
    order_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        """
        INSERT INTO sale_order_line (order_id, name, product_id, product_uom_qty,
            price_unit, customer_lead, company_id, currency_id, state,
            qty_delivered, qty_invoiced, qty_to_invoice, untaxed_amount_to_invoice,
            price_subtotal, invoice_status, sequence)
        SELECT o.id, 'Benchmark line', %(product)s, 2, 10, 0, %(company)s,
            %(currency)s, 'sale', 2,
            CASE WHEN s %% 2 = 0 THEN 2 ELSE 0 END,
            CASE WHEN s %% 2 = 0 THEN 0 ELSE 2 END,
            CASE WHEN s %% 2 = 0 THEN 0 ELSE 20 END,
            20, CASE WHEN s %% 2 = 0 THEN 'invoiced' ELSE 'to invoice' END, s
        FROM unnest(%(orders)s) o(id), generate_series(1, 10) s
        """,
        {
            "product": product.id,
            "company": company.id,
            "currency": company.currency_id.id,
            "orders": order_ids,
        },
    )
    cr.execute("ANALYZE sale_order; ANALYZE sale_order_line")
    return len(order_ids) * 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        period = env["sales.closing.period"].search([("name", "=", "BENCH-2026-01")])
        if not period:
            created = populate(env, args.lines)
            period = env["sales.closing.period"].create(
                {
                    "name": "BENCH-2026-01",
                    "date_from": "2026-01-01",
                    "date_to": "2026-01-31",
                }
            )
            cr.commit()
            print(f"inserted {created} order lines")
        cr.execute("SELECT count(*) FROM sale_order_line")
        total = cr.fetchone()[0]
        timings = []
        for _run in range(args.runs):
            env.invalidate_all()
            start = time.perf_counter()
            period.action_run_checks()
            env.flush_all()
            timings.append(time.perf_counter() - start)
            cr.rollback()
        # each check alone (its _evaluate and the write of its line)
        per_check = []
        period._ensure_check_lines()
        codes = period.check_line_ids.filtered(lambda i: not i.is_manual).mapped(
            "kind_id.code"
        )
        cr.rollback()
        for code in codes:
            period._ensure_check_lines()
            item = period.check_line_ids.filtered(lambda i, c=code: i.kind_id.code == c)
            env.flush_all()
            env.invalidate_all()
            start = time.perf_counter()
            item._run()
            env.flush_all()
            per_check.append((time.perf_counter() - start, code))
            cr.rollback()
        period.action_run_checks()
        line = period.check_line_ids.filtered(
            lambda item: item.kind_id.code == "uninvoiced_lines"
        )
        print(f"order lines in database: {total}")
        print(f"checks per run: {len(period.check_line_ids)}")
        print(f"uninvoiced lines found: {line.count} for {line.amount:.2f}")
        print("each check alone, slowest first:")
        for seconds, code in sorted(per_check, reverse=True):
            print(f"  {code:<28} {seconds:.3f} s")
        print(f"  {'(all checks)':<28} {sum(t for t, _c in per_check):.3f} s")
        print(
            "full checklist run: "
            + ", ".join(f"{t:.3f} s" for t in timings)
            + f" (best {min(timings):.3f} s; goal < 2 s)"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
