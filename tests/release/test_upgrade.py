"""Upgrade from the previous release to this working tree.

The previous release is the newest commit listed in setup/releases.txt
that HEAD descends from (what landed at the end of the last session). It is installed
with demo data on a database of its own, then upgraded with ``-u`` to the
working tree. Checked: no error, every migration script between the two
versions ran exactly once, the stored rows of the closing, payment and
reconciliation models are kept and the closing packages still verify, and
a second upgrade changes nothing.
"""

import json
import re
import subprocess
import tempfile
from pathlib import Path

from odoo.tools.parse_version import parse_version

from .common import (
    ADDONS,
    REPO,
    SCRIPT,
    drop_database,
    manifest_versions,
    new_database,
    odoo,
    odoo_errors,
    python,
    run,
    write_config,
)

# Odoo logs "[>1.2.0]" before, "[1.2.0>]" after and "[$1.2.0]" at the end
MIGRATION_LOG = re.compile(r"module (\w+): Running migration \[[>$]?([\d.]+)>?\] (\S+)")


def git(*args):
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    ).stdout


def versions_at(commit):
    found = {}
    for addon in ADDONS:
        try:
            text = git("show", f"{commit}:{addon}/__manifest__.py")
        except subprocess.CalledProcessError:
            continue
        found[addon] = re.search(r'"version":\s*"([^"]+)"', text).group(1)
    return found


def previous_release():
    """The newest release listed in setup/releases.txt that HEAD descends
    from: ``(name, commit)``."""
    if git("rev-parse", "--is-shallow-repository").strip() == "true":
        raise AssertionError("a shallow clone has no previous release: fetch history")
    releases = [
        line.split()[:2]
        for line in (REPO / "setup/releases.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name, commit in reversed(releases):
        ancestor = subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "--is-ancestor", commit, "HEAD"],
            capture_output=True,
            check=False,
        )
        if ancestor.returncode == 0:
            return name, commit
    raise AssertionError("no release of setup/releases.txt is an ancestor of HEAD")


def expected_migrations(old, new):
    """``{(addon, version, stage)}`` of the scripts between the releases."""
    expected = set()
    for addon, version in new.items():
        base = parse_version(old.get(addon, "0"))
        for folder in sorted((REPO / addon / "migrations").glob("*")):
            if not folder.is_dir():
                continue
            full = folder.name if folder.name.count(".") > 2 else f"18.0.{folder.name}"
            if base < parse_version(full) <= parse_version(version):
                for script in folder.glob("*.py"):
                    stage = script.name.split("-")[0]
                    if stage in ("pre", "post", "end"):
                        expected.add((addon, folder.name, stage))
    return expected


def ran_migrations(log):
    ran = {}
    for addon, version, stage in MIGRATION_LOG.findall(log):
        stage = stage.split("-")[0]
        key = (addon, version, stage)
        ran[key] = ran.get(key, 0) + 1
    return ran


def fingerprint(config, database, out):
    run(
        [
            python(),
            str(SCRIPT),
            "--config",
            str(config),
            "--database",
            database,
            "fingerprint",
            str(out),
        ]
    )
    return json.loads(Path(out).read_text())


def test_upgrade_from_previous_release():
    current = manifest_versions(REPO)
    release, previous = previous_release()
    old_versions = versions_at(previous)
    with tempfile.TemporaryDirectory(prefix="sc_upgrade_") as tmp:
        tmp = Path(tmp)
        old_tree = tmp / "old"
        old_tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", previous],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)
        old_config, new_config = tmp / "old.conf", tmp / "new.conf"
        write_config(old_config, tmp / "data", addons_path=old_tree)
        write_config(new_config, tmp / "data", addons_path=REPO)
        database = new_database("sc_upgrade")
        try:
            odoo(
                python(),
                old_config,
                database,
                "-i",
                "l10n_cn,payment_demo," + ",".join(ADDONS),
                "--load-language=zh_CN",
                "--log-level=warn",
            )
            before = fingerprint(old_config, database, tmp / "before.json")
            assert not before["errors"], before["errors"]

            log = odoo(
                python(),
                new_config,
                database,
                "-u",
                ",".join(ADDONS),
                "--log-level=warn",
                "--log-handler=odoo.modules.migration:INFO",
            )
            assert not odoo_errors(log), "\n".join(odoo_errors(log))
            expected = expected_migrations(old_versions, current)
            ran = ran_migrations(log)
            assert {key for key in ran} == expected, (
                f"from {release} {old_versions} to {current}: "
                f"expected {sorted(expected)}, ran {ran}"
            )
            assert all(count == 1 for count in ran.values()), ran
            after = fingerprint(new_config, database, tmp / "after.json")
            assert not after["errors"], after["errors"]
            assert {m: v["count"] for m, v in after["models"].items()} == {
                m: v["count"] for m, v in before["models"].items()
            }
            assert after["packages_verified"] == before["packages_verified"] > 0

            log = odoo(
                python(),
                new_config,
                database,
                "-u",
                ",".join(ADDONS),
                "--log-level=warn",
                "--log-handler=odoo.modules.migration:INFO",
            )
            assert not odoo_errors(log), "\n".join(odoo_errors(log))
            assert not ran_migrations(log), ran_migrations(log)
            again = fingerprint(new_config, database, tmp / "again.json")
            assert again == after
        finally:
            drop_database(database)
