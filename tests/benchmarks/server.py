"""A real Odoo server for the benchmarks, on a loopback port, in its own
process group; and the database helpers the benchmarks share.

Used by ``matching_scale.py`` (prefork workers and queue_job's runner) and
``faults.py`` (the same, plus the cron worker, killed and restarted).
"""

import configparser
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WORKER_ALIVE = re.compile(r"Worker (Worker\w+) \((\d+)\) alive")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def close(database):
    """Forget the registry and the pooled connections of ``database``."""
    from odoo import sql_db  # noqa: PLC0415 - the callers configure Odoo first
    from odoo.modules.registry import Registry  # noqa: PLC0415

    with contextlib.suppress(Exception):
        Registry.delete(database)
    with contextlib.suppress(Exception):
        sql_db.close_db(database)


def drop(database):
    close(database)
    subprocess.run(
        ["dropdb", "--if-exists", "--force", database],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def http_get(url, timeout=2):
    """The status of a GET of ``url``, None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except OSError:
        return None


class OdooServer:
    """``python -m odoo`` on ``database``, listening on 127.0.0.1 only.

    ``options`` and ``queue_job`` are written into the server's own
    configuration file (the project's addons path and database settings are
    taken from ``config``). The server is its own process group: ``stop``
    and ``kill`` reach its workers, its cron worker and queue_job's runner.
    """

    def __init__(
        self,
        config,
        database,
        workdir,
        name,
        options=None,
        queue_job=None,
        extra_addons=(),
        python=None,
    ):
        self.database = database
        self.workdir = Path(workdir)
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # this file is the server's launcher: see the end of the file
        self.python = python or [sys.executable, str(Path(__file__).resolve())]
        self.process = None
        self.conf_path = self.workdir / f"{name}.conf"
        self.log_path = self.workdir / f"{name}.log"
        self.log_offset = 0
        parser = configparser.ConfigParser()
        parser.read(config)
        base = parser["options"]
        addons = [base.get("addons_path", str(REPO)), *map(str, extra_addons)]
        conf = configparser.ConfigParser(interpolation=None)
        conf["options"] = {
            "addons_path": ",".join(addons),
            "data_dir": base.get("data_dir", ""),
            "admin_passwd": base.get("admin_passwd", "admin"),
            "db_name": database,
            "dbfilter": f"^{database}$",
            "list_db": "False",
            "http_interface": "127.0.0.1",
            "http_port": str(self.port),
            "gevent_port": str(free_port()),
            **(options or {}),
        }
        for key in ("db_host", "db_port", "db_user", "db_password"):
            if base.get(key):
                conf["options"][key] = base[key]
        if queue_job is not None:
            conf["queue_job"] = {
                "host": "127.0.0.1",
                "port": str(self.port),
                **queue_job,
            }
        self.queue_job = queue_job is not None
        with self.conf_path.open("w") as handle:
            conf.write(handle)

    # -- life cycle ---------------------------------------------------------

    def start(self, timeout=180, warm_workers=0):
        """Start the server and wait until it answers (and, with queue_job,
        until its runner is ready); ``warm_workers`` requests at once, twice,
        load the registry in the workers first."""
        env = dict(os.environ)
        env.pop("ODOO_QUEUE_JOB_CHANNELS", None)
        with self.log_path.open("a") as log:
            self.log_offset = log.tell()
            self.process = subprocess.Popen(
                [*self.python, "-c", str(self.conf_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=str(REPO),
                env=env,
            )
        deadline = time.monotonic() + timeout
        while http_get(f"{self.url}/web/health") != 200:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start: see {self.log_path}")
            time.sleep(0.5)
        if warm_workers:
            self.warm_up(warm_workers)
        if self.queue_job:
            ready = f"queue job runner ready for db {self.database}"
            while ready not in self.log_text():
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"queue_job's runner is not ready: see {self.log_path}"
                    )
                time.sleep(0.5)
        return self

    def warm_up(self, workers):
        """Load the registry in every worker (``workers`` requests at once,
        twice), so that what is timed does not pay for the server's start."""
        url = f"{self.url}/web/login?db={self.database}"
        for _round in range(2):
            threads = [
                threading.Thread(target=http_get, args=(url, 120))
                for _i in range(workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=150)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig):
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self):
        """``kill -9`` of the whole server (main process, workers, runner)."""
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)

    def stop(self, timeout=30):
        """Stop the server: SIGTERM to its group, SIGKILL after ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # workers left behind by a main process that died first
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)

    # -- inspection ---------------------------------------------------------

    def log_text(self):
        """What the server logged since its last start."""
        with self.log_path.open(errors="replace") as log:
            log.seek(self.log_offset)
            return log.read()

    def workers(self):
        """{pid: 'WorkerHTTP' | 'WorkerCron'} of the live workers (from the
        server's log: Odoo logs each worker it forks at INFO)."""
        import psutil  # noqa: PLC0415 - in the project's environment

        if not self.alive():
            return {}
        try:
            children = {p.pid for p in psutil.Process(self.process.pid).children()}
        except psutil.Error:
            return {}
        found = {}
        for kind, pid in WORKER_ALIVE.findall(self.log_text()):
            if int(pid) in children:
                found[int(pid)] = kind
        return found


@contextlib.contextmanager
def running(server, **start):
    """``server`` started for the block, stopped after it (also on error)."""
    try:
        yield server.start(**start)
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "gevent":
        # The prefork server spawns its gevent (websocket) process as
        # ``sys.argv[0] gevent``: with ``python -m odoo`` that is odoo's
        # __main__.py, which cannot run as a script, so it died and was
        # spawned again and again. Not needed here: an idle stand-in takes
        # its place until the server stops it.
        while True:
            time.sleep(3600)
    from odoo.cli.command import main as odoo_main

    odoo_main()
