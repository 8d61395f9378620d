"""Benchmark: 1,000 delivered orders invoiced and posted, ours against OCA.

Usage (from the repository root)::

    ./tests/benchmarks/run invoicing [--orders 1000] [--runs 1] [--side both]

Installs OCA ``sale_automatic_workflow`` in the benchmark database only
(``pip install odoo-addon-sale_automatic_workflow``; never a dependency of
our addons), creates the customers and the orders through Odoo's own flows
(confirmed, delivered in full: two goods lines invoiced on delivered
quantities) once, then on the same data:

* ours: ``sales.closing.invoicing._cron_invoice()``, the scheduled action
  of the company policy "On Delivery" with "Post automatically";
* OCA: ``automatic.workflow.job.run()``, the scheduled action of its
  "Automatic" workflow (create and validate invoices) set on the orders.

Each side runs in a transaction rolled back afterwards (no commit per
batch, on both sides), checks that every order has one posted invoice, and
prints the seconds (wall clock, and the CPU time of the Odoo process, which
a loaded machine disturbs less) side by side and the ratio.  The goal is ours at least
2x faster.
"""

import argparse
import subprocess
import sys
import time

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

PREFIX = "BENCH-INV"


def oca_installed(database):
    import psycopg2

    conn = psycopg2.connect(dbname=database, **db_params())
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT state FROM ir_module_module"
                " WHERE name = 'sale_automatic_workflow'"
            )
            row = cr.fetchone()
            return bool(row and row[0] == "installed")
    finally:
        conn.close()


def db_params():
    config = odoo.tools.config
    params = {}
    for key, name in (
        ("db_host", "host"),
        ("db_port", "port"),
        ("db_user", "user"),
        ("db_password", "password"),
    ):
        if config.get(key):
            params[name] = config[key]
    return params


def install_oca(config_file, database):
    print("installing sale_automatic_workflow in the benchmark database")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            config_file,
            "-d",
            database,
            "-i",
            "sale_automatic_workflow",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def populate(env, count):
    company = env.company
    partners = env["res.partner"].create(
        [
            {"name": f"{PREFIX} Customer {n}", "email": f"customer{n}@example.com"}
            for n in range(100)
        ]
    )
    products = env["product.product"].create(
        [
            {
                "name": f"{PREFIX} Good {n}",
                "type": "consu",
                "invoice_policy": "delivery",
                "list_price": 10.0 + n,
            }
            for n in range(2)
        ]
    )
    workflow = env.ref("sale_automatic_workflow.automatic_validation")
    done = 0
    for start in range(0, count, 200):
        size = min(200, count - start)
        orders = (
            env["sale.order"]
            .with_company(company)
            .create(
                [
                    {
                        "partner_id": partners[(start + n) % len(partners)].id,
                        "client_order_ref": f"{PREFIX}-{start + n}",
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": 2}
                            )
                            for product in products
                        ],
                    }
                    for n in range(size)
                ]
            )
        )
        orders.action_confirm()
        pickings = orders.picking_ids
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings.button_validate()
        # the OCA workflow is set by SQL: setting it by the ORM warns only
        env.flush_all()
        env.cr.execute(
            "UPDATE sale_order SET workflow_process_id = %s WHERE id = ANY(%s)",
            [workflow.id, orders.ids],
        )
        env.cr.commit()
        env.invalidate_all()
        done += size
        print(f"  {done} orders created, confirmed and delivered", flush=True)


def bench_orders(env):
    return env["sale.order"].search([("client_order_ref", "=like", f"{PREFIX}-%")])


def check(env, label):
    env.invalidate_all()
    orders = bench_orders(env)
    invoices = orders.invoice_ids
    posted = invoices.filtered(lambda m: m.state == "posted")
    ok = (
        len(posted) == len(orders)
        and len(invoices) == len(orders)
        and all(o.invoice_status == "invoiced" for o in orders)
    )
    print(
        f"  {label}: {len(posted)} posted invoices for {len(orders)} orders"
        + ("" if ok else "  <-- NOT ALL INVOICED")
    )
    return ok


def run_ours(env):
    company = env.company
    company.write(
        {
            "sales_closing_invoice_policy": "delivery",
            "sales_closing_invoice_post": True,
            "sales_closing_invoice_send": False,
            "sales_closing_invoice_sms": False,
        }
    )
    env.flush_all()
    env.invalidate_all()
    start, cpu = time.perf_counter(), time.process_time()
    env["sales.closing.invoicing"]._cron_invoice(commit=False)
    env.flush_all()
    return time.perf_counter() - start, time.process_time() - cpu


def run_oca(env):
    # our policy stays manual so only OCA's job invoices
    env.company.sales_closing_invoice_policy = "manual"
    env.flush_all()
    env.invalidate_all()
    start, cpu = time.perf_counter(), time.process_time()
    env["automatic.workflow.job"].run()
    env.flush_all()
    return time.perf_counter() - start, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench_invoicing")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--side", choices=("both", "ours", "oca"), default="both", help="what to time"
    )
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    if not oca_installed(args.database):
        install_oca(args.config, args.database)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        existing = len(bench_orders(env))
        if existing < args.orders:
            print(f"creating {args.orders - existing} delivered orders (once)")
            populate(env, args.orders - existing)
        orders = bench_orders(env)
        print(f"orders to invoice: {len(orders)}")
        ours, oca = [], []
        ok = True
        for _run in range(args.runs):
            if args.side in ("both", "ours"):
                ours.append(run_ours(env))
                ok = check(env, "ours") and ok
                cr.rollback()
                env.invalidate_all()
            if args.side in ("both", "oca"):
                oca.append(run_oca(env))
                ok = check(env, "OCA sale_automatic_workflow") and ok
                cr.rollback()
                env.invalidate_all()
        best_ours = min(ours) if ours else None
        best_oca = min(oca) if oca else None

        def cell(value, index=0, per_order=False):
            if value is None:
                return f"{'-':>10}"
            if per_order:
                return f"{len(orders) / value[index]:>10.1f}"
            return f"{value[index]:>10.2f}"

        print()
        print(f"{'':34}{'ours':>10}{'OCA':>10}")
        label = f"invoice + post {len(orders)} orders"
        print(f"{label + ' (s)':34}{cell(best_ours)}{cell(best_oca)}")
        print(f"{'  Python CPU (s)':34}{cell(best_ours, 1)}{cell(best_oca, 1)}")
        print(
            f"{'orders per second':34}"
            f"{cell(best_ours, per_order=True)}{cell(best_oca, per_order=True)}"
        )
        if best_ours and best_oca:
            print(
                f"ratio OCA / ours: {best_oca[0] / best_ours[0]:.2f}x wall, "
                f"{best_oca[1] / best_ours[1]:.2f}x Python CPU (goal >= 2x)"
            )
        if not ok:
            print("WARNING: a side did not invoice every order")
            sys.exit(1)


if __name__ == "__main__":
    main()
