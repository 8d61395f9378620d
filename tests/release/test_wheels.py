"""The addons installed as wheels, the way consultants install OCA addons.

The three wheels are built with whool (each addon's pyproject.toml), and
installed with pip into a fresh virtual environment that sees Odoo and the
project's dependencies (through a .pth of the project's environment) but no
addons path pointing at this checkout. A database created there installs
them, loads the menus and closes a period.
"""

import sysconfig
import tempfile
from pathlib import Path

from .common import (
    ADDONS,
    REPO,
    SCRIPT,
    drop_database,
    new_database,
    odoo,
    odoo_errors,
    python,
    run,
    write_config,
)


def test_wheels_install_and_close_a_period():
    with tempfile.TemporaryDirectory(prefix="sc_wheels_") as tmp:
        tmp = Path(tmp)
        wheels = tmp / "wheels"
        run(
            [
                python(),
                "-m",
                "pip",
                "wheel",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "-w",
                str(wheels),
                *(str(REPO / addon) for addon in ADDONS),
            ]
        )
        built = sorted(path.name for path in wheels.glob("*.whl"))
        assert [name.split("-")[0] for name in built] == [
            "odoo_addon_" + addon for addon in ADDONS
        ], built
        venv = tmp / "venv"
        run([python(), "-m", "venv", str(venv)])
        target = run(
            [
                str(venv / "bin/python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ]
        ).strip()
        # Odoo and the dependencies come from the project's environment (a
        # site dir, so that Odoo's own editable .pth there is read too)
        (Path(target) / "sales_closing_base.pth").write_text(
            f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
        )
        run(
            [
                str(venv / "bin/python"),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-index",
                *map(str, wheels.glob("*.whl")),
            ]
        )
        where = run(
            [
                str(venv / "bin/python"),
                "-c",
                "import odoo.addons.sales_closing as m; print(m.__file__)",
            ]
        ).strip()
        assert where.startswith(str(venv)), where
        config = tmp / "odoo.conf"
        write_config(config, tmp / "data")  # no addons_path: Odoo's and the wheels'
        database = new_database("sc_wheels")
        try:
            log = odoo(
                str(venv / "bin/python"),
                config,
                database,
                "-i",
                ",".join(ADDONS),
                "--without-demo=all",
                "--log-level=warn",
                cwd=tmp,
            )
            assert not odoo_errors(log), log[-3000:]
            output = run(
                [
                    str(venv / "bin/python"),
                    str(SCRIPT),
                    "--config",
                    str(config),
                    "--database",
                    database,
                    "smoke",
                ],
                cwd=tmp,
            )
            assert "period closed" in output, output
        finally:
            drop_database(database)
