"""Shared helpers of the release tests: Odoo runs in subprocesses, databases
made and dropped, the addons' manifests read."""

import ast
import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS = ("sales_closing", "sales_closing_payments", "sales_closing_reconcile")
SCRIPT = Path(__file__).with_name("odoo_script.py")


def run(args, **kwargs):
    """Run a command; on failure the assertion shows its output's tail."""
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"{args[:4]}... exited {result.returncode}:\n{output[-4000:]}"
    )
    return output


def new_database(prefix):
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def drop_database(name):
    subprocess.run(
        [
            "psql",
            "-X",
            "-d",
            "postgres",
            "-qc",
            "select pg_terminate_backend(pid) from pg_stat_activity "
            f"where datname='{name}'",
        ],
        capture_output=True,
        check=False,
    )
    subprocess.run(["dropdb", "--if-exists", name], capture_output=True, check=False)


def write_config(path, data_dir, addons_path=None):
    lines = ["[options]", f"data_dir = {data_dir}", "admin_passwd = admin"]
    if addons_path:
        lines.append(f"addons_path = {addons_path}")
    Path(path).write_text("\n".join(lines) + "\n")


def odoo(python, config, database, *args, cwd=None):
    """``python -m odoo`` on ``database``; returns its log."""
    return run(
        [
            python,
            "-m",
            "odoo",
            "-c",
            str(config),
            "-d",
            database,
            "--stop-after-init",
            *args,
        ],
        cwd=cwd,
    )


def odoo_errors(log):
    return [
        line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line
    ]


def manifest_versions(root):
    """``{addon: version}`` of the addons' manifests below ``root``."""
    return {
        addon: ast.literal_eval((Path(root) / addon / "__manifest__.py").read_text())[
            "version"
        ]
        for addon in ADDONS
        if (Path(root) / addon / "__manifest__.py").exists()
    }


def python():
    return sys.executable
