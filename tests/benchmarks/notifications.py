"""Benchmark: loopback load test of the Alipay / WeChat Pay notification endpoints.

Usage (from the repository root)::

    ./tests/benchmarks/run notifications [--count 2000] [--concurrency 16]
        [--duplicates 0.2] [--forgeries 0.1] [--workers 2]

Configures the Alipay and WeChat Pay providers of the benchmark database with keys
generated for the run, creates one payment transaction per notification, starts a
real Odoo HTTP server on a free loopback port (a subprocess, ``--workers`` worker
processes; 0 for the threaded server), then sends the signed notifications
concurrently: each transaction is notified once, a share of them is delivered again
(exact replays, interleaved with the first delivery so that some arrive at the same
instant) and a share of forged notifications (signed with another key, or with the
amount changed after signing) target transactions of their own. The requests are
built and signed before the timer starts and sent by an asyncio client, so that
the client takes little of the machine. Prints notifications per second, the CPU
a notification and Odoo's cheapest route cost (Odoo workers, PostgreSQL),
rejections, duplicates detected and duplicates applied twice (must be 0), and
checks that no forged notification confirmed a payment.
The goal is at least 200 notifications/s on a 2-core machine.
"""

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import requests

# Odoo is imported inside the functions: importing it in the stand-in of the gevent
# process (see the end of the file) would monkey-patch with gevent for nothing.

ALIPAY_APP_ID = "2021000000000042"
WECHAT_MCHID = "1900000142"
WECHAT_APPID = "wxbench00000000042"
WECHAT_SERIAL = "PUB_KEY_ID_BENCH0000000000000000000042"
API_V3_KEY = "benchbenchbenchbenchbenchbench42"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_key_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    return private, public


def configure_providers(alipay, wechatpay, gateway_public, merchant_private):
    """Put both providers in test mode with the run's keys."""
    alipay.write(
        {
            "state": "test",
            "alipay_app_id": ALIPAY_APP_ID,
            "alipay_merchant_private_key": merchant_private,
            "alipay_public_key": gateway_public,
        }
    )
    wechatpay.write(
        {
            "state": "test",
            "wechatpay_mch_id": WECHAT_MCHID,
            "wechatpay_app_id": WECHAT_APPID,
            "wechatpay_api_v3_key": API_V3_KEY,
            "wechatpay_serial_no": "BENCHMERCHANT",
            "wechatpay_private_key": merchant_private,
            "wechatpay_platform_serial": WECHAT_SERIAL,
            "wechatpay_platform_certificate": gateway_public,
        }
    )


def prepare(env, count, run_id, gateway_public, merchant_private, configure=True):
    """Configure the providers and create ``count`` draft transactions."""
    alipay = env.ref("sales_closing_payments.payment_provider_alipay")
    wechatpay = env.ref("sales_closing_payments.payment_provider_wechatpay")
    if configure:
        configure_providers(alipay, wechatpay, gateway_public, merchant_private)
    cny = env.ref("base.CNY")
    cny.active = True
    partner = env["res.partner"].create({"name": "Notification Benchmark Buyer"})
    methods = {
        "alipay": env.ref("payment.payment_method_alipay").id,
        "wechatpay": env.ref("payment.payment_method_wechat_pay").id,
    }
    providers = {"alipay": alipay, "wechatpay": wechatpay}
    values = []
    for index in range(count):
        code = "alipay" if index % 2 == 0 else "wechatpay"
        values.append(
            {
                "provider_id": providers[code].id,
                "payment_method_id": methods[code],
                "reference": f"BN{run_id}-{index}",
                "amount": 10 + (index % 500) / 100,
                "currency_id": cny.id,
                "partner_id": partner.id,
                "operation": "online_redirect",
            }
        )
    txs = env["payment.transaction"].create(values)
    return [(tx.provider_code, tx.reference, tx.amount) for tx in txs]


def build_notifications(txs, args, gateway_private, forger_private):
    """Return the list of (kind, code, reference, data) to send, shuffled."""
    from odoo.addons.sales_closing_payments.engine import simulator

    n_forged = int(len(txs) * args.forgeries)
    forged_txs, genuine_txs = txs[:n_forged], txs[n_forged:]
    genuine = []
    for code, reference, amount in genuine_txs:
        if code == "alipay":
            data = simulator.alipay_notification(
                gateway_private, ALIPAY_APP_ID, reference, f"{amount:.2f}"
            )
        else:
            resource = simulator.wechatpay_transaction(
                WECHAT_APPID, WECHAT_MCHID, reference, round(amount * 100)
            )
            data = simulator.wechatpay_notification(
                gateway_private, WECHAT_SERIAL, API_V3_KEY, resource
            )
        genuine.append(("genuine", code, reference, data))
    forged = []
    for index, (code, reference, amount) in enumerate(forged_txs):
        if code == "alipay":
            if index % 2:
                data = simulator.alipay_notification(
                    forger_private, ALIPAY_APP_ID, reference, f"{amount:.2f}"
                )
            else:  # genuine signature, amount changed afterwards
                data = simulator.alipay_notification(
                    gateway_private, ALIPAY_APP_ID, reference, "0.01"
                )
                data["total_amount"] = f"{amount:.2f}"
        else:
            resource = simulator.wechatpay_transaction(
                WECHAT_APPID, WECHAT_MCHID, reference, round(amount * 100)
            )
            data = simulator.wechatpay_notification(
                forger_private, WECHAT_SERIAL, API_V3_KEY, resource
            )
        forged.append(("forged", code, reference, data))
    rng = random.Random(42)
    replayed = set(
        rng.sample([item[2] for item in genuine], int(len(genuine) * args.duplicates))
    )
    items = genuine + forged
    rng.shuffle(items)
    batch = []
    for item in items:
        batch.append(item)
        # The replay goes right after its original: both are in flight at once.
        if item[0] == "genuine" and item[2] in replayed:
            batch.append(("replay",) + item[1:])
    return batch


def start_server(args, port):
    # This script is the server's launcher (see the end of the file), so that the
    # gevent process Odoo's prefork server spawns with sys.argv[0] starts too.
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--serve-odoo",
        "-c",
        args.config,
        # -d without --db-filter: with a filter, Odoo lists the databases (a new
        # connection to "postgres") on every request, which cost 3/4 of the
        # time of the cheapest route; with -d alone the name is taken as is.
        "-d",
        args.database,
        "--http-interface",
        "127.0.0.1",
        "--http-port",
        str(port),
        "--workers",
        str(args.workers),
        "--max-cron-threads",
        "0",
        "--log-level",
        "warn",
        "--limit-time-real",
        "600",
    ]
    if args.workers:
        # A free port for the gevent process of the prefork server, unused here.
        command += ["--gevent-port", str(free_port())]
    log = open(os.path.join(args.log_dir, "notifications-server.log"), "w")  # noqa: SIM115
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"the Odoo server stopped (code {process.returncode}); see {log.name}"
            )
        try:
            if requests.get(url + "/web/health", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"the Odoo server did not answer on {url}; see {log.name}")


def in_process_rate(registry, gateway_private, count=200):
    """Return notifications/s processed in process (one core, no HTTP), rolled back."""
    from odoo import SUPERUSER_ID, api

    args = argparse.Namespace(forgeries=0.0, duplicates=0.0)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        run_id = f"IP{int(time.time())}"
        txs = prepare(env, count, run_id, None, None, configure=False)
        env.flush_all()
        batch = build_notifications(txs, args, gateway_private, gateway_private)
        model = env["sales.closing.payment.notification"].sudo()
        start = time.perf_counter()
        for _kind, code, _reference, data in batch:
            if code == "alipay":
                model._sales_closing_process_alipay(data)
            else:
                model._sales_closing_process_wechatpay(*data)
            env.flush_all()
        elapsed = time.perf_counter() - start
        cr.rollback()
    return len(batch) / elapsed


def raw_request(path, method="GET", body=b"", headers=None):
    """Return the bytes of one HTTP/1.1 request, built before the timer starts."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def notification_request(item):
    """The raw HTTP request of one (kind, code, reference, data) notification."""
    _kind, code, _reference, data = item
    if code == "alipay":
        return raw_request(
            "/payment/alipay/notify",
            "POST",
            urlencode(data).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
    headers, body = data
    headers = {**headers, "Content-Type": "application/json"}
    return raw_request("/payment/wechatpay/notify", "POST", body.encode(), headers)


async def _send_raw(port, payloads, concurrency):
    """Send ``payloads`` over ``concurrency`` connections at a time; return answers.

    Asyncio on raw sockets: the client must not be what limits the rate on a
    2-core machine it shares with the server (one Python thread per connection
    with ``requests`` took a large share of a core for the same work).
    """
    answers = [None] * len(payloads)
    queue = iter(enumerate(payloads))

    async def connection():
        for index, payload in queue:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(payload)
            answer = await reader.read()
            writer.close()
            head, _sep, body = answer.partition(b"\r\n\r\n")
            answers[index] = (int(head.split(b" ", 2)[1]), body)

    await asyncio.gather(*(connection() for _index in range(concurrency)))
    return answers


def send_raw(port, payloads, concurrency):
    """Return (answers, elapsed seconds, client CPU seconds)."""
    cpu = time.process_time()
    start = time.perf_counter()
    answers = asyncio.run(_send_raw(port, payloads, concurrency))
    return answers, time.perf_counter() - start, time.process_time() - cpu


def cpu_seconds(server, database):
    """CPU seconds used so far by the Odoo server processes and the database's backends.

    Read before and after a run, the differences tell where the machine's time
    went per request (the client's own CPU is measured by ``send_raw``).
    """
    import psutil

    def used(process):
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    root = psutil.Process(server.pid)
    odoo = used(root) + sum(used(child) for child in root.children(recursive=True))
    backends = 0.0
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            backends += used(process)
    return odoo, backends


def health_baseline(port, concurrency, count=1000):
    """Requests/s of Odoo's cheapest route (GET /web/health), 1 and N at a time."""
    payload = raw_request("/web/health")
    send_raw(port, [payload] * 20, 2)  # warm the workers up (registry loading)
    _answers, sequential, _cpu = send_raw(port, [payload] * (count // 4), 1)
    _answers, concurrent, _cpu = send_raw(port, [payload] * count, concurrency)
    return count / 4 / sequential, count / concurrent


def warm_up(port, workers):
    """Have every worker load the database's registry before the timer starts.

    /web/health needs no database: a worker loads the registry (seconds of CPU)
    on its first request that does, which would otherwise be the first
    notifications it gets. A long-running server pays it once per worker.
    """
    payload = raw_request("/web/login")
    count = 20 * max(workers, 1)
    answers, _elapsed, _cpu = send_raw(port, [payload] * count, 2 * max(workers, 1))
    statuses = {status for status, _body in answers}
    if statuses != {200}:
        raise SystemExit(f"warm-up: GET /web/login answered {sorted(statuses)}")


def send_all(port, batch, concurrency):
    payloads = [notification_request(item) for item in batch]
    answers, elapsed, client_cpu = send_raw(port, payloads, concurrency)
    results = []
    for (kind, code, _reference, _data), (status, body) in zip(
        batch, answers, strict=True
    ):
        if code == "alipay":
            ok = status == 200 and body == b"success"
        else:
            ok = status == 200
        results.append((kind, code, status, ok))
    return results, elapsed, client_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--count", type=int, default=2000, help="transactions")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duplicates", type=float, default=0.2)
    parser.add_argument("--forgeries", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-dir", default="/tmp")
    args = parser.parse_args()

    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    run_id = str(int(time.time()))
    print("generating keys and transactions...", flush=True)
    gateway_private, gateway_public = new_key_pair()
    merchant_private, _merchant_public = new_key_pair()
    forger_private, _forger_public = new_key_pair()
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        txs = prepare(env, args.count, run_id, gateway_public, merchant_private)
        cr.execute("SELECT max(id) FROM sales_closing_payment_notification")
        first_log_id = cr.fetchone()[0] or 0
        cr.commit()
    batch = build_notifications(txs, args, gateway_private, forger_private)
    forged_refs = {item[2] for item in batch if item[0] == "forged"}

    port = free_port()
    server, _url = start_server(args, port)
    try:
        cpu_start = cpu_seconds(server, args.database)
        baseline, baseline_concurrent = health_baseline(port, args.concurrency)
        warm_up(port, args.workers)
        cpu_health = cpu_seconds(server, args.database)
        results, elapsed, client_cpu = send_all(port, batch, args.concurrency)
        cpu_end = cpu_seconds(server, args.database)
    finally:
        server.terminate()
        server.wait(timeout=60)

    answered = {kind: 0 for kind in ("genuine", "replay", "forged")}
    refused = dict(answered)
    errors = 0
    for kind, _code, status, ok in results:
        if status >= 500:
            errors += 1
        if ok:
            answered[kind] += 1
        else:
            refused[kind] += 1

    with registry.cursor() as cr:
        prefix = f"BN{run_id}-%"
        cr.execute(
            """
            SELECT state, count(*) FROM sales_closing_payment_notification
            WHERE id > %s GROUP BY state
            """,
            (first_log_id,),
        )
        states = dict(cr.fetchall())
        cr.execute(
            """
            SELECT count(*) FROM (
                SELECT reference FROM sales_closing_payment_notification
                WHERE reference LIKE %s AND state = 'accepted'
                GROUP BY reference HAVING count(*) > 1) twice
            """,
            (prefix,),
        )
        applied_twice = cr.fetchone()[0]
        cr.execute(
            "SELECT reference, state FROM payment_transaction WHERE reference LIKE %s",
            (prefix,),
        )
        tx_states = dict(cr.fetchall())
    done = sum(1 for state in tx_states.values() if state == "done")
    forged_confirmed = sum(1 for ref in forged_refs if tx_states.get(ref) == "done")
    genuine_total = sum(1 for item in batch if item[0] == "genuine")

    in_process = in_process_rate(registry, gateway_private)
    total = len(results)
    print(
        f"server: odoo, {args.workers} worker(s); client: asyncio, "
        f"{args.concurrency} connections at a time, requests signed beforehand"
    )
    print(
        f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"HTTP baseline (GET /web/health): {baseline:.0f} requests/s sequential, "
        f"{baseline_concurrent:.0f} requests/s {args.concurrency} at a time"
    )
    print(
        f"notifications sent: {total} ({genuine_total} genuine, "
        f"{total - genuine_total - len(forged_refs)} replays, "
        f"{len(forged_refs)} forged) in {elapsed:.2f} s"
    )
    health_count = 1000 + 1000 // 4 + 20
    print(
        "CPU per request (Odoo workers + PostgreSQL): GET /web/health "
        f"{1000 * (cpu_health[0] - cpu_start[0]) / health_count:.1f} + "
        f"{1000 * (cpu_health[1] - cpu_start[1]) / health_count:.1f} ms, "
        f"notification {1000 * (cpu_end[0] - cpu_health[0]) / len(results):.1f} + "
        f"{1000 * (cpu_end[1] - cpu_health[1]) / len(results):.1f} ms"
    )
    used = (cpu_end[0] - cpu_health[0]) + (cpu_end[1] - cpu_health[1]) + client_cpu
    print(
        f"CPU used by the run (Odoo, PostgreSQL, client): {used:.2f} s, i.e. "
        f"{total / used:.0f} notifications per CPU second ({2 * total / used:.0f}/s "
        "if both cores were ours; the rest of the load is other processes)"
    )
    print(
        f"throughput: {total / elapsed:.0f} notifications/s (goal >= 200); "
        f"client CPU {client_cpu:.2f} s ({100 * client_cpu / elapsed:.0f} % of one "
        "core)"
    )
    print(
        f"in process, one core, no HTTP: {in_process:.0f} notifications/s "
        "(signature check, lock, log, transaction update)"
    )
    print(
        f"accepted: {states.get('accepted', 0)} "
        f"({states.get('accepted', 0) / elapsed:.0f} accepted/s); "
        f"transactions confirmed: {done}/{genuine_total}"
    )
    print(
        f"rejected: {states.get('rejected', 0)} (forged answered 'fail'/401: "
        f"{refused['forged']}/{len(forged_refs)}); forged confirmed: "
        f"{forged_confirmed} (must be 0)"
    )
    print(
        f"duplicates detected: {states.get('duplicate', 0)}; "
        f"duplicates applied twice: {applied_twice} (must be 0); "
        f"to review: {states.get('review', 0)}; HTTP 5xx: {errors}"
    )
    print(
        "OCA peer: none (no maintained Alipay / WeChat Pay addon for Odoo 16-18; "
        "Odoo removed payment_alipay in 18)"
    )
    ok = (
        applied_twice == 0
        and forged_confirmed == 0
        and done == genuine_total
        and errors == 0
    )
    if not ok:
        raise SystemExit("FAILED: see the figures above")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "gevent":
        # The prefork server always spawns a gevent (websocket) process; it is not
        # needed here, so an idle stand-in takes its place until the server stops it.
        while True:
            time.sleep(3600)
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve-odoo":
        from odoo.cli.command import main as odoo_main

        del sys.argv[1]
        odoo_main()
    else:
        main()
