"""Bad input to ./setup: a clear message, exit code 1, nothing installed."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import REPO


def setup(env, steps="ensure_all"):
    """Source setup/lib.sh with ``env`` and run ``steps``."""
    return subprocess.run(
        ["bash", "-c", f'source "{REPO}/setup/lib.sh"; {steps}'],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )


def fake_python(folder, version, odoo_serie=None):
    """An executable that answers like a Python of ``version``, importing
    an Odoo of ``odoo_serie`` when given."""
    path = Path(folder) / f"python{version}"
    odoo = (
        f'*"odoo.release"*) echo {odoo_serie}; exit 0;;'
        if odoo_serie
        else '*"odoo.release"*) exit 1;;'
    )
    path.write_text(
        "#!/bin/bash\n"
        'case "$*" in\n'
        f"  {odoo}\n"
        f'  *"sys.version_info"*) echo {version}; exit 0;;\n'
        "esac\n"
        "exit 1\n"
    )
    path.chmod(0o755)
    return str(path)


def test_python_of_unsupported_version():
    with tempfile.TemporaryDirectory() as tmp:
        result = setup(
            {
                "PYTHON": fake_python(tmp, "3.9"),
                "SALES_CLOSING_HOME": tmp + "/share",
                "VIRTUAL_ENV": "",
                "ODOO_PYTHON": "",
            },
            "check_base_python",
        )
        assert result.returncode == 1
        assert "is Python 3.9; Odoo 18.0 runs on Python 3.10 to 3.12" in result.stderr
        assert not Path(tmp, "share").exists()


def test_odoo_python_of_another_version():
    with tempfile.TemporaryDirectory() as tmp:
        result = setup(
            {"ODOO_PYTHON": fake_python(tmp, "3.11", odoo_serie="17.0")},
            "ensure_odoo",
        )
        assert result.returncode == 1
        assert "imports Odoo 17.0; it must import Odoo 18.0" in result.stderr


def test_active_venv_with_another_odoo():
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = Path(tmp, "venv/bin")
        bin_dir.mkdir(parents=True)
        os.symlink(fake_python(tmp, "3.11", odoo_serie="16.0"), bin_dir / "python")
        result = setup(
            {"VIRTUAL_ENV": str(Path(tmp, "venv")), "ODOO_PYTHON": ""},
            "ensure_odoo",
        )
        assert result.returncode == 1
        assert "imports Odoo 16.0, not 18.0" in result.stderr


def test_read_only_state_folder():
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp, "state")
        state.mkdir()
        state.chmod(0o500)
        try:
            if os.access(state, os.W_OK):  # root writes anywhere: a file instead
                state.chmod(0o700)
                state.rmdir()
                state.write_text("not a folder")
            result = setup({"SALES_CLOSING_STATE": str(state)}, "true")
        finally:
            if state.is_dir():
                state.chmod(0o700)
        assert result.returncode == 1
        assert f"the state folder {state} cannot be written" in result.stderr


def test_second_run_installs_nothing():
    """The environment CI uses is complete: ensure_all only checks stamps."""
    result = setup(
        {"PYTHON": os.environ.get("SALES_CLOSING_BASE_PYTHON", sys.executable)},
        'ensure_all; echo "PYTHON=$PYTHON"',
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "installing" not in result.stderr, result.stderr
    assert "building" not in result.stderr, result.stderr


def test_failed_build_leaves_no_environment():
    """A build that fails halfway leaves neither the environment nor its
    temporary folder: the next run starts clean."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "odoo-src")
        source.mkdir()
        (source / "setup.py").write_text("raise SystemExit('not Odoo')\n")
        (source / "requirements.txt").write_text(
            "sales-closing-no-such-package==0.0.0\n"
        )
        venv = Path(tmp, "venv")
        result = setup(
            {
                "PYTHON": sys.executable,
                "SALES_CLOSING_VENV": str(venv),
                "SALES_CLOSING_HOME": str(Path(tmp, "share")),
                "ODOO_SOURCE": str(source),
                "VIRTUAL_ENV": "",
                "ODOO_PYTHON": "",
                "PIP_NO_INDEX": "1",
            },
            "ensure_odoo",
        )
        assert result.returncode != 0
        assert "building the virtual environment" in result.stderr
        assert not venv.exists()
        assert not list(Path(tmp).glob("venv.partial.*")), list(Path(tmp).iterdir())
