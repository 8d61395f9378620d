"""The checks of ``faults.py``, run on the database once the server stopped.

Each operation of the run (a statement line, an order, an installment line, a
capture, a notified transaction, a queue job, a closing package) is judged
``lost`` or ``doubled`` (or neither) and has a time window (when it started,
when it ended); an operation counts for a fault kind when a fault of that
kind struck inside its window, or, for the gateway's faults, when one of its
requests got it.
"""

import collections
import datetime

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

EPS = 0.005
FAR = datetime.datetime(2999, 1, 1)


class Op:
    __slots__ = ("kind", "name", "start", "end", "lost", "doubled", "why", "keys")

    def __init__(self, kind, name, start, end, keys=()):
        self.kind = kind
        self.name = name
        self.start = start or FAR
        self.end = end or FAR
        self.lost = False
        self.doubled = False
        self.why = []
        self.keys = set(keys)

    def fail(self, what, why):
        setattr(self, what, True)
        self.why.append(why)


def statement_lines(cr, ops):
    cr.execute(
        """
        SELECT MIN(date_created), MAX(COALESCE(date_done, now() AT TIME ZONE 'utc'))
          FROM queue_job WHERE channel LIKE 'root.sales_closing_matching%'
        """
    )
    start, end = cr.fetchone()
    cr.execute(
        """
        SELECT st.id, st.is_reconciled, st.sales_closing_match_state,
               (SELECT COALESCE(SUM(l.balance), 0) FROM account_move_line l
                 WHERE l.move_id = st.move_id),
               (SELECT count(*) FROM account_move_line l
                 WHERE l.move_id = st.move_id AND l.account_id = j.default_account_id),
               (SELECT count(*) FROM account_move_line l
                 WHERE l.move_id = st.move_id AND l.account_id = j.suspense_account_id),
               (SELECT bool_and(abs(l.amount_residual) < %s OR NOT a.reconcile)
                  FROM account_move_line l JOIN account_account a ON a.id = l.account_id
                 WHERE l.move_id = st.move_id AND l.account_id != j.default_account_id
                   AND l.account_id != j.suspense_account_id)
          FROM account_bank_statement_line st
          JOIN account_journal j ON j.id = st.journal_id
        """,
        [EPS],
    )
    by_move = {}
    for (
        st_id,
        reconciled,
        state,
        balance,
        liquidity,
        suspense,
        settled,
    ) in cr.fetchall():
        op = Op("statement line", f"statement line {st_id}", start, end)
        ops.append(op)
        if abs(balance) > EPS:
            op.fail("lost", f"its entry is not balanced ({balance:.2f})")
        if liquidity != 1:
            op.fail("doubled", f"{liquidity} bank lines in its entry")
        if suspense > 1:
            op.fail("lost", f"{suspense} suspense lines")
        expected = suspense == 0 and settled is not False
        if bool(reconciled) != expected:
            op.fail("lost", "half-replaced suspense line (reconciled flag disagrees)")
        if state == "new" and not reconciled:
            op.fail("lost", "never matched")
        by_move[st_id] = op
    return by_move


def reconciliation(cr):
    """Problems of the journal items and partial reconciliations: (over,
    wrong) lists of descriptions."""
    cr.execute(
        """
        SELECT l.id, l.balance, l.amount_residual,
               l.balance
               - COALESCE((SELECT SUM(p.amount) FROM account_partial_reconcile p
                            WHERE p.debit_move_id = l.id), 0)
               + COALESCE((SELECT SUM(p.amount) FROM account_partial_reconcile p
                            WHERE p.credit_move_id = l.id), 0)
          FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id
          JOIN account_move m ON m.id = l.move_id
         WHERE a.reconcile AND m.state = 'posted'
        """
    )
    over, wrong = [], []
    for aml_id, balance, stored, recomputed in cr.fetchall():
        if abs(stored - recomputed) > EPS:
            wrong.append(
                f"item {aml_id}: residual {stored:.2f}, recomputed {recomputed:.2f}"
            )
        if abs(recomputed) > EPS and (recomputed > 0) != (balance > 0):
            over.append(
                f"item {aml_id}: reconciled beyond its amount ({recomputed:.2f})"
            )
    cr.execute(
        """
        SELECT p.id FROM account_partial_reconcile p
          JOIN account_move_line d ON d.id = p.debit_move_id
          JOIN account_move_line c ON c.id = p.credit_move_id
          JOIN account_move dm ON dm.id = d.move_id
          JOIN account_move cm ON cm.id = c.move_id
         WHERE dm.state != 'posted' OR cm.state != 'posted'
            OR d.account_id != c.account_id
            OR (p.full_reconcile_id IS NOT NULL
                AND (d.full_reconcile_id IS DISTINCT FROM p.full_reconcile_id
                     OR c.full_reconcile_id IS DISTINCT FROM p.full_reconcile_id))
        """
    )
    wrong += [f"orphan partial reconciliation {row[0]}" for row in cr.fetchall()]
    cr.execute(
        """
        SELECT f.id FROM account_full_reconcile f
          JOIN account_move_line l ON l.full_reconcile_id = f.id
         GROUP BY f.id HAVING bool_or(abs(l.amount_residual) > %s)
        """,
        [EPS],
    )
    wrong += [f"full reconciliation {row[0]} with a residual" for row in cr.fetchall()]
    return over, wrong


def orders(cr, ops, prefix, work_start):
    cr.execute(
        """
        SELECT o.id, o.name, sol.id, sol.qty_delivered,
               COALESCE(SUM(CASE WHEN m.move_type = 'out_invoice' THEN aml.quantity
                                 ELSE -aml.quantity END)
                        FILTER (WHERE m.state = 'posted'), 0),
               COUNT(DISTINCT m.id) FILTER (WHERE m.state = 'draft'),
               MAX(m.create_date)
          FROM sale_order o
          JOIN sale_order_line sol ON sol.order_id = o.id AND sol.display_type IS NULL
          LEFT JOIN sale_order_line_invoice_rel r ON r.order_line_id = sol.id
          LEFT JOIN account_move_line aml ON aml.id = r.invoice_line_id
          LEFT JOIN account_move m ON m.id = aml.move_id
         WHERE o.client_order_ref LIKE %s
         GROUP BY o.id, o.name, sol.id, sol.qty_delivered
         ORDER BY o.id
        """,
        [f"{prefix}-%"],
    )
    by_order = {}
    for order_id, name, _line, delivered, invoiced, drafts, created in cr.fetchall():
        op = by_order.get(order_id)
        if op is None:
            op = by_order[order_id] = Op("order", f"order {name}", work_start, created)
            ops.append(op)
        elif created and (op.end == FAR or created > op.end):
            op.end = created
        if invoiced > delivered + EPS:
            op.fail("doubled", f"{invoiced} invoiced for {delivered} delivered")
        elif invoiced < delivered - EPS:
            op.fail("lost", f"{invoiced} invoiced for {delivered} delivered")
        if drafts:
            op.fail("lost", f"{drafts} draft invoice(s) left")
    return by_order


def installments(cr, ops, gateway):
    cr.execute(
        """
        SELECT l.id, p.name, l.sequence, l.state,
               MIN(tx.create_date), MAX(tx.write_date),
               ARRAY_AGG(tx.reference ORDER BY tx.id) FILTER (WHERE tx.id IS NOT NULL),
               ARRAY_AGG(tx.state ORDER BY tx.id) FILTER (WHERE tx.id IS NOT NULL)
          FROM sales_closing_installment_plan_line l
          JOIN sales_closing_installment_plan p ON p.id = l.plan_id
          LEFT JOIN sales_closing_installment_line_transaction_rel r ON r.line_id = l.id
          LEFT JOIN payment_transaction tx ON tx.id = r.transaction_id
         GROUP BY l.id, p.name, l.sequence, l.state
        """
    )
    charged = collections.defaultdict(list)
    for key, entry in gateway.ledger.items():
        if entry["operation"] == "charge" and entry["status"] == "done":
            charged[entry["reference"].rsplit("-", 1)[0]].append((key, entry))
    result = {}
    for _line_id, plan, sequence, state, start, end, refs, states in cr.fetchall():
        identity = f"{plan}-{sequence}"
        entries = charged.pop(identity, [])
        op = Op(
            "installment",
            f"installment {identity}",
            start,
            end,
            [k for k, _e in entries],
        )
        ops.append(op)
        result[identity] = op
        tx_state = dict(zip(refs or [], states or [], strict=True))
        done = [ref for ref, st in tx_state.items() if st == "done"]
        if len(entries) > 1:
            op.fail("doubled", f"charged {len(entries)} times at the gateway")
        for _key, entry in entries:
            if entry["reference"] not in tx_state:
                op.fail(
                    "lost", f"charge {entry['reference']} without a transaction record"
                )
            elif tx_state[entry["reference"]] != "done":
                op.fail(
                    "lost",
                    f"charged at the gateway, transaction {entry['reference']} "
                    f"{tx_state[entry['reference']]}",
                )
        if done and not entries:
            op.fail("lost", "confirmed in Odoo, never charged at the gateway")
        if state == "processing":
            op.fail("lost", "left in doubt (processing)")
        if state == "paid" and not done:
            op.fail("lost", "paid without a confirmed transaction")
    for identity, entries in charged.items():
        op = Op("installment", f"installment {identity}", None, None)
        op.fail("lost", f"{len(entries)} gateway charge(s) of no installment line")
        ops.append(op)
    return result


def captures(cr, ops, gateway, windows, prefix):
    cr.execute(
        """
        SELECT tx.id, tx.reference, tx.state, tx.amount, sp.id, sp.state,
               (SELECT COALESCE(SUM(c.amount), 0) FROM payment_transaction c
                 WHERE c.source_transaction_id = tx.id AND c.state = 'done'
                   AND c.operation = tx.operation)
          FROM payment_transaction tx
          JOIN sale_order_transaction_rel r ON r.transaction_id = tx.id
          JOIN stock_picking sp ON sp.sale_id = r.sale_order_id
         WHERE tx.reference LIKE %s
        """,
        [f"{prefix}-AUTH-%"],
    )
    taken = collections.defaultdict(list)
    for key, entry in gateway.ledger.items():
        if entry["operation"] == "capture":
            taken[entry["reference"]].append((key, entry))
    for (
        tx_id,
        reference,
        state,
        amount,
        picking,
        picking_state,
        children,
    ) in cr.fetchall():
        start, end = windows.get(picking, (None, None))
        entries = taken.pop(reference, [])
        op = Op("capture", f"capture {reference}", start, end, [k for k, _e in entries])
        ops.append(op)
        at_gateway = sum(entry["amount"] for _key, entry in entries)
        in_odoo = amount if state == "done" and not children else children
        if at_gateway > amount + EPS or len(entries) > 1:
            op.fail(
                "doubled", f"{len(entries)} captures ({at_gateway:.2f}) at the gateway"
            )
        if abs(at_gateway - in_odoo) > EPS:
            op.fail(
                "lost",
                f"{at_gateway:.2f} captured at the gateway, {in_odoo:.2f} in Odoo "
                f"(transaction {tx_id} {state})",
            )
        if picking_state == "done" and not entries:
            op.fail("lost", "delivered, never captured")
    for reference, entries in taken.items():
        op = Op("capture", f"capture {reference}", None, None)
        op.fail("lost", f"{len(entries)} gateway capture(s) of no authorized payment")
        ops.append(op)


def asked_before_retry(gateway, by_identity):
    """Each request whose answer was lost (timeout, 500) must be followed by
    a query of its key before any other request about the same thing."""
    unknown = {}  # identity -> key waiting for its query
    violations = 0
    for _time, what, key, reference, operation, fault in gateway.events:
        if what == "trade query":  # Alipay / WeChat Pay: reads only
            continue
        if what == "query":
            for identity, waiting in list(unknown.items()):
                if waiting == key:
                    del unknown[identity]
            continue
        identity = reference.rsplit("-", 1)[0] if operation == "charge" else reference
        if identity in unknown:
            violations += 1
            op = by_identity.get(identity)
            if op is not None:
                op.fail("doubled", "sent again before asking the gateway")
        if fault in ("gw_timeout", "gw_500"):
            unknown[identity] = key
    return violations


def notifications(cr, ops, items, sent, prefix):
    cr.execute(
        """
        SELECT tx.reference, tx.state, tx.write_date,
               (SELECT count(*) FROM sales_closing_payment_notification n
                 WHERE n.reference = tx.reference AND n.state = 'accepted'),
               (SELECT count(*) FROM account_payment p
                 WHERE p.payment_transaction_id = tx.id)
          FROM payment_transaction tx WHERE tx.reference LIKE %s
        """,
        [f"BN{prefix}-%"],
    )
    rows = {row[0]: row[1:] for row in cr.fetchall()}
    kinds = {}
    windows = {}
    for index, ((kind, _code, reference, _data), _payload) in enumerate(items):
        if kind == "replay":
            continue
        kinds[reference] = kind
        windows[reference] = sent.get(index, (None, None))
    for reference, kind in kinds.items():
        state, _write, accepted, payments = rows.get(reference, (None, None, 0, 0))
        start, end = windows[reference]
        op = Op(
            "notification",
            f"{kind} notification {reference}",
            start,
            end,
            [("trade", reference)],
        )
        ops.append(op)
        if kind == "genuine":
            if state != "done":
                op.fail("lost", f"genuine, transaction {state}")
            if accepted > 1 or payments > 1:
                op.fail("doubled", f"applied {accepted} times, {payments} payments")
        elif state == "done" or accepted:
            op.fail("doubled", "forgery applied")


def jobs(cr, ops, first_job):
    cr.execute(
        """
        SELECT id, name, state, exc_info, date_created, date_done, method_name
          FROM queue_job WHERE id > %s
        """,
        [first_job],
    )
    failed = 0
    for job_id, name, state, exc_info, created, done, _method in cr.fetchall():
        op = Op("queue job", f"job {job_id} {name}", created, done)
        ops.append(op)
        if state == "failed":
            failed += 1
            if not (exc_info or "").strip():
                op.fail("lost", "failed without its error")
        elif state != "done":
            op.fail("lost", f"left {state}")
    return failed


def packages(env, ops, first_package):
    Package = env["sales.closing.package"].sudo()
    sealed = Package.search([("id", ">", first_package)])
    for package in sealed:
        op = Op(
            "package",
            f"package {package.display_name}",
            package.create_date,
            package.create_date,
        )
        ops.append(op)
        problems = package._chain_problems()
        if problems:
            op.fail("lost", "; ".join(problems))
    problems = []
    for company in env["res.company"].search([]):
        problems += Package._company_problems(company)
    if problems:
        op = Op("package", "package chains", None, None)
        op.fail("lost", "; ".join(problems))
        ops.append(op)


def run_checks(run):
    """Judge every operation; print the tables; return the exit status."""
    from faults import FAULT_KINDS, GATEWAY_FAULTS  # noqa: PLC0415

    ops = []
    with Registry(run.database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        lines = statement_lines(cr, ops)
        over, wrong = reconciliation(cr)
        order_ops = orders(cr, ops, run.prefix, run.work_start)
        by_identity = installments(cr, ops, run.gateway)
        captures(cr, ops, run.gateway, run.deliveries.windows, run.prefix)
        by_identity.update(
            {op.name.split(" ", 1)[1]: op for op in ops if op.kind == "capture"}
        )
        violations = asked_before_retry(run.gateway, by_identity)
        notifications(cr, ops, run.notifications, run.notifier.sent, run.prefix)
        failed_jobs = jobs(cr, ops, run.first_job)
        packages(env, ops, run.first_package)
        cr.rollback()
    # journal items reconciled beyond their amount or recomputed otherwise:
    # the run's own items are the statement lines' and the invoices'
    extra = Op("reconciliation", "journal items", None, None)
    for text in over:
        extra.fail("doubled", text)
    for text in wrong:
        extra.fail("lost", text)
    if over or wrong:
        ops.append(extra)

    counts = collections.Counter(op.kind for op in ops)
    print()
    print(
        "operations: " + ", ".join(f"{n} {kind}s" for kind, n in sorted(counts.items()))
    )
    print(
        f"orders {len(order_ops)}, statement lines {len(lines)}, queue jobs failed "
        "with "
        f"their error {failed_jobs}, requests sent again before asking the gateway "
        f"{violations}, notifications given up by the gateway {run.notifier.given_up}, "
        f"never delivered (left to a query) {len(run.notifier.dropped)}"
    )
    header = (
        f"{'fault kind':<30}{'injected':>9}{'operations':>12}{'lost':>7}{'doubled':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    total_faults = 0
    for kind, label in FAULT_KINDS:
        if kind in GATEWAY_FAULTS:
            injected = run.gateway.faults.get(kind, 0)
            keys = run.gateway.fault_keys.get(kind, set())
            hit = [op for op in ops if op.keys & keys]
        else:
            injected = run.injected.get(kind, 0)
            times = run.fault_times.get(kind, [])
            hit = [op for op in ops if any(op.start <= t <= op.end for t in times)]
        total_faults += injected
        print(
            f"{label:<30}{injected:>9}{len(hit):>12}"
            f"{sum(op.lost for op in hit):>7}{sum(op.doubled for op in hit):>9}"
        )
    lost = sum(op.lost for op in ops)
    doubled = sum(op.doubled for op in ops)
    print("-" * len(header))
    print(f"{'all operations':<30}{total_faults:>9}{len(ops):>12}{lost:>7}{doubled:>9}")
    bad = [op for op in ops if op.lost or op.doubled]
    if bad:
        print()
        print(f"{len(bad)} operation(s) lost or doubled (first 25):")
        for op in bad[:25]:
            print(f"  {op.name}: {'; '.join(op.why)[:300]}")
    print()
    print(f"faults={total_faults} operations={len(ops)} lost={lost} doubled={doubled}")
    return 1 if lost or doubled else 0
