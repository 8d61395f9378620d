"""Benchmark: bank matching scaled out on queue_job channels.

Usage (from the repository root)::

    ./tests/benchmarks/run matching-scale                  # 8,000 lines, 16,000 items
    ./tests/benchmarks/run matching-scale --lines 400      # a quick check

Builds the data of ``tests/benchmarks/matching.py`` (its generator and its
fast set-up: partners, open items, statement lines) once, in a database of
its own, committed; then on three copies of it (``createdb -T``):

1. **inline**: ``action_auto_match()`` on every line in this process, in
   one transaction (``sales_closing_match_now``), applied in slices of
   5,000 lines (the queued runs: 2,000, or a quarter of the lines when
   fewer), so that the comparison also proves the cut does not matter;
2. **queued, 1 channel** and 3. **queued, 2 channels**: a real Odoo server
   (prefork workers, queue_job's job runner, listening on a free loopback
   port only) on the copy, the channel ``root.sales_closing_matching`` given
   a capacity of 1 then 2 (``[queue_job] channels``); the matching cron's
   method starts the run (a planning job, then one job per slice), and the
   jobs are polled every 0.5 s until none is left to run (bounded by
   ``--timeout``).  The time of a queued run is from the planning job's
   creation to the last job's end, as queue_job records them.

Every line's outcome (match state, items reconciled with it, suggested item
sets by rank) of each queued run is compared with the inline run's; the
failed attempts are those of the run's jobs (retries of queue_job, which
counts an attempt a concurrency error postponed, and attempts our runs
record).  The last line::

    lines=N inline_s=A channels1_s=B channels2_s=C ratio=C/B differing=D \
        failed_attempts=F   (one line)

The server is stopped (its process group, started here) and the copies and
the data database are dropped at the end, also on error or Ctrl-C.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time

from server import HERE, OdooServer, close, drop, running, sh

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

STATES_TO_RUN = ("pending", "enqueued", "started", "wait_dependencies")


def build(args, template, database):
    """Create ``database`` from ``template`` with the generated data."""
    sys.path.insert(0, str(HERE))
    import matching as base  # noqa: PLC0415 - after the configuration
    import matching_dataset as dataset  # noqa: PLC0415 - next to this file

    base.dataset = dataset
    drop(database)
    sh("createdb", "-T", template, database)
    lines, items, partner_accounts, _truth = dataset.generate(
        args.seed, args.lines, args.items
    )
    start = time.perf_counter()
    with Registry(database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        currencies = base.setup_company(env)
        base.populate(env, lines, items, partner_accounts, currencies)
        env.flush_all()
        cr.execute("SELECT MAX(id) FROM account_move_line")
        env["ir.config_parameter"].set_param(
            "sales_closing.bench_data_max_aml", cr.fetchone()[0]
        )
        env.flush_all()
        cr.commit()
    close(database)
    print(
        f"data: {len(lines)} statement lines, {len(items)} open items "
        f"({time.perf_counter() - start:.1f} s)",
        flush=True,
    )


def data_max(cr):
    """The last journal item of the data (kept in a parameter by build)."""
    cr.execute(
        "SELECT value FROM ir_config_parameter WHERE key = %s",
        ["sales_closing.bench_data_max_aml"],
    )
    return int(cr.fetchone()[0])


def outcomes(cr):
    """{statement line id: (state, items reconciled, suggested item sets)}.

    The items are the journal items of the data (not the exchange-difference
    entries the run books: their ids depend on the order they are made)."""
    cr.execute(
        """
        SELECT st.id, st.sales_closing_match_state,
               ARRAY(SELECT DISTINCT other.id
                       FROM account_move_line own
                       JOIN account_partial_reconcile p
                         ON own.id IN (p.debit_move_id, p.credit_move_id)
                       JOIN account_move_line other
                         ON other.id IN (p.debit_move_id, p.credit_move_id)
                        AND other.move_id != st.move_id
                        AND other.id <= %(data_max)s
                      WHERE own.move_id = st.move_id
                      ORDER BY other.id),
               ARRAY(SELECT array_to_string(ARRAY(
                                SELECT rel.move_line_id
                                  FROM sales_closing_match_suggestion_aml_rel rel
                                 WHERE rel.suggestion_id = s.id
                                 ORDER BY rel.move_line_id), ',')
                       FROM sales_closing_match_suggestion s
                      WHERE s.statement_line_id = st.id
                      ORDER BY s.rank, s.id)
          FROM account_bank_statement_line st
         ORDER BY st.id
        """,
        {"data_max": data_max(cr)},
    )
    return {row[0]: (row[1], tuple(row[2]), tuple(row[3])) for row in cr.fetchall()}


def run_inline(database):
    with Registry(database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        lines = env["account.bank.statement.line"].search([])
        env.invalidate_all()
        start = time.perf_counter()
        lines.with_context(
            sales_closing_match_now=True, sales_closing_match_chunk_size=5000
        ).action_auto_match()
        env.flush_all()
        seconds = time.perf_counter() - start
        result = outcomes(cr)
        cr.rollback()
    close(database)
    return seconds, result


def cpu_times():
    """(busy, total) jiffies of the machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@contextlib.contextmanager
def server(config, database, channels, workdir):
    """An Odoo server with queue_job's runner on ``database``, loopback
    only; stopped (its own process group) on exit."""
    odoo_server = OdooServer(
        config,
        database,
        workdir,
        f"odoo-{channels}",
        options={
            "workers": str(channels + 1),
            "max_cron_threads": "0",
            "server_wide_modules": "base,web,queue_job",
            "limit_time_real": "3600",
            "limit_time_cpu": "3600",
            "limit_memory_soft": str(4 * 1024**3),
            "limit_memory_hard": str(5 * 1024**3),
            "log_level": "info",
        },
        queue_job={
            "channels": f"root:{channels},root.sales_closing_matching:{channels}"
        },
    )
    with running(odoo_server, warm_workers=channels + 1):
        yield odoo_server.log_path


def run_queued(config, database, channels, chunk_size, timeout, workdir):
    """The matching cron's run on a server with ``channels`` channels:
    (seconds, outcomes, failed attempts, jobs)."""
    with server(config, database, channels, workdir) as log_path:
        with Registry(database).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            runs = env["account.bank.statement.line"]._cron_sales_closing_match(
                chunk_size=chunk_size
            )
            run_ids = runs.ids
            cr.commit()
        deadline = time.monotonic() + timeout
        waits = {}
        cpu_start = cpu_times()
        while True:
            time.sleep(0.5)
            with Registry(database).cursor() as cr:
                # what the job's database sessions are doing (running,
                # waiting for a lock...), sampled
                cr.execute(
                    """
                    SELECT COALESCE(wait_event_type || ':' || wait_event, 'running')
                      FROM pg_stat_activity
                     WHERE datname = current_database() AND state = 'active'
                       AND pid != pg_backend_pid()
                    """
                )
                for (event,) in cr.fetchall():
                    waits[event] = waits.get(event, 0) + 1
                cr.execute(
                    "SELECT count(*) FROM queue_job WHERE state = ANY(%s)",
                    [list(STATES_TO_RUN)],
                )
                left = cr.fetchone()[0]
                cr.execute(
                    "SELECT count(*) FROM sales_closing_match_run"
                    " WHERE id = ANY(%s) AND plan_state = 'planning'",
                    [run_ids],
                )
                planning = cr.fetchone()[0]
            if not left and not planning:
                cpu_end = cpu_times()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{left} jobs still to run after {timeout} s: see {log_path}"
                )
        with Registry(database).cursor() as cr:
            cr.execute(
                """
                SELECT EXTRACT(EPOCH FROM MAX(date_done) - MIN(date_created)),
                       COUNT(*),
                       SUM(CASE WHEN state = 'done' THEN GREATEST(retry - 1, 0)
                                ELSE retry END),
                       COUNT(*) FILTER (WHERE state != 'done')
                  FROM queue_job
                """
            )
            seconds, jobs, retried, not_done = cr.fetchone()
            cr.execute(
                """
                SELECT COALESCE(SUM(s.failed_attempts), 0)
                       + (SELECT COALESCE(SUM(plan_failed_attempts), 0)
                            FROM sales_closing_match_run WHERE id = ANY(%s))
                  FROM sales_closing_match_slice s WHERE s.run_id = ANY(%s)
                """,
                [run_ids, run_ids],
            )
            recorded = cr.fetchone()[0]
            cr.execute(
                "SELECT plan_seconds, line_count FROM sales_closing_match_run"
                " WHERE id = ANY(%s)",
                [run_ids],
            )
            for plan_seconds, line_count in cr.fetchall():
                print(f"  run of {line_count} lines planned in {plan_seconds:.1f} s")
            cr.execute(
                """
                SELECT method_name, state, retry,
                       EXTRACT(EPOCH FROM date_enqueued - first.t),
                       EXTRACT(EPOCH FROM date_started - first.t),
                       EXTRACT(EPOCH FROM date_done - first.t)
                  FROM queue_job,
                       (SELECT MIN(date_created) AS t FROM queue_job) first
                 ORDER BY date_created, id
                """
            )
            for method, state, retry, enqueued, started, done in cr.fetchall():
                print(
                    f"  {method:<28} {state:<6} attempts {retry}: enqueued "
                    f"{float(enqueued or 0):6.1f} s, started {float(started or 0):6.1f}"
                    f" s, done {float(done or 0):6.1f} s",
                    flush=True,
                )
            result = outcomes(cr)
    close(database)
    failed = max(int(retried or 0), int(recorded or 0)) + int(not_done or 0)
    busy = (cpu_end[0] - cpu_start[0]) / max(1, cpu_end[1] - cpu_start[1])
    print(
        f"  machine CPU busy {100 * busy:.0f} % of {os.cpu_count()} cores; "
        "database sessions sampled every 0.5 s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(waits.items(), key=lambda x: -x[1]))
    )
    print(
        f"queued, {channels} channel(s): {float(seconds or 0):.1f} s, {jobs} jobs, "
        f"failed attempts {failed} (queue_job {retried}, runs {recorded}, "
        f"not done {not_done})",
        flush=True,
    )
    return float(seconds or 0), result, failed


def compare(reference, other, show=3):
    """Lines whose outcome differs; the first ``show`` are printed."""
    keys = sorted(set(reference) | set(other))
    differing = [key for key in keys if reference.get(key) != other.get(key)]
    for key in differing[:show]:
        print(f"  line {key}: inline {reference.get(key)}, queued {other.get(key)}")
    return len(differing)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench_matching_scale")
    parser.add_argument("--lines", type=int, default=8000)
    parser.add_argument("--items", type=int, default=0, help="default: 2 x lines")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=0,
        help="lines a job applies (default: a quarter of the lines, at most "
        "2,000, so two channels have work to share)",
    )
    parser.add_argument(
        "--timeout", type=int, default=1800, help="seconds a queued run may take"
    )
    args = parser.parse_args()
    args.items = args.items or 2 * args.lines
    chunk_size = args.chunk_size or max(1, min(2000, -(-args.lines // 4)))
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    before = cpu_times()
    time.sleep(5)
    after = cpu_times()
    print(
        f"load average: {os.getloadavg()[0]:.2f}; before the runs the machine is "
        f"{100 * (after[0] - before[0]) / max(1, after[1] - before[1]):.0f} % busy "
        f"(other work; of {os.cpu_count()} cores)",
        flush=True,
    )
    data = f"{args.database}_data"
    copies = [f"{args.database}_{name}" for name in ("inline", "q1", "q2")]
    workdir = tempfile.mkdtemp(prefix="matching_scale_")
    try:
        build(args, args.database, data)
        for copy in copies:
            drop(copy)
            sh("createdb", "-T", data, copy)
        inline_s, reference = run_inline(copies[0])
        states = {}
        for state, _items, _suggestions in reference.values():
            states[state] = states.get(state, 0) + 1
        print(f"inline: {inline_s:.1f} s, {states}", flush=True)
        drop(copies[0])
        figures = {}
        for channels, copy in ((1, copies[1]), (2, copies[2])):
            seconds, result, failed = run_queued(
                args.config, copy, channels, chunk_size, args.timeout, workdir
            )
            figures[channels] = (seconds, compare(reference, result), failed)
            drop(copy)
        ratio = figures[2][0] / figures[1][0] if figures[1][0] else float("nan")
        print(
            f"lines={len(reference)} inline_s={inline_s:.1f} "
            f"channels1_s={figures[1][0]:.1f} channels2_s={figures[2][0]:.1f} "
            f"ratio={ratio:.2f} "
            f"differing={max(figures[1][1], figures[2][1])} "
            f"failed_attempts={figures[1][2] + figures[2][2]}"
        )
    finally:
        for database in [*copies, data]:
            drop(database)


if __name__ == "__main__":
    main()
