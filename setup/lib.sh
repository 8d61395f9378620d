# Shared set-up steps of ./setup/demo and ./setup/test. Source it; don't run it.
# Each step finds what is there and installs only what is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SALES_CLOSING_STATE:-$REPO/.state}"
ADDONS="sales_closing,sales_closing_payments,sales_closing_reconcile"
# The interpreter the project's virtual environment is built from (never
# written to: everything is installed inside the virtual environment).
BASE_PYTHON="${PYTHON:-python3}"
ODOO_SOURCE="${ODOO_SOURCE:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}"
SHARE="${SALES_CLOSING_HOME:-$HOME/.local/share/sales_closing}"
ODOO_HOME="${ODOO_HOME:-$SHARE/odoo-18.0}"
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

mkdir -p "$STATE" 2>/dev/null && [ -w "$STATE" ] \
    || die "the state folder $STATE cannot be written: set SALES_CLOSING_STATE to a writable folder"

apt_install() {
    # apt_install PKG...: install the Debian packages that are missing.
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! is_root; then
        die "missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}"
    fi
    say "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

pg_ready() { psql -X -d postgres -Atc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
    # PG* environment variables first, else the local socket.
    command -v psql >/dev/null 2>&1 || { is_root && apt_install postgresql-client; }
    pg_ready && return 0
    if ! is_root; then
        die "no PostgreSQL reachable (PGHOST=${PGHOST:-local socket}). Start one, or set PGHOST, PGPORT, PGUSER, PGPASSWORD, then run this again."
    fi
    say "no PostgreSQL reachable: installing and starting the local server"
    apt_install postgresql
    local version
    version="$(ls /etc/postgresql | sort -n | tail -1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
        || pg_ctlcluster "$version" main start
    su postgres -c "createuser --superuser '$(id -un)'" 2>/dev/null || true
    pg_ready || die "PostgreSQL $version started but does not accept connections for $(id -un)"
}

odoo_version_of() {
    # odoo_version_of PYTHON: the Odoo version PYTHON imports, or nothing.
    "$1" -c 'import odoo.release; print(odoo.release.serie)' 2>/dev/null || true
}

odoo_words() { if [ -n "$1" ]; then echo "Odoo $1"; else echo "no Odoo"; fi; }

check_base_python() {
    command -v "$BASE_PYTHON" >/dev/null 2>&1 \
        || die "PYTHON=$BASE_PYTHON is not an interpreter on this machine"
    local version
    version="$("$BASE_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
        || die "PYTHON=$BASE_PYTHON does not run"
    case "$version" in
        3.10|3.11|3.12) ;;
        *) die "PYTHON=$BASE_PYTHON is Python $version; Odoo 18.0 runs on Python 3.10 to 3.12" ;;
    esac
    BASE_VERSION="$version"
}

ensure_venv_tools() {
    # Debian's Python has venv and ensurepip in python3-venv, the headers in
    # python3-dev (psycopg2 and python-ldap compile against them).
    "$BASE_PYTHON" -c 'import venv, ensurepip, sysconfig, os, sys
inc = sysconfig.get_paths()["include"]
sys.exit(0 if os.path.exists(os.path.join(inc, "Python.h")) else 1)' 2>/dev/null && return 0
    local real
    real="$(readlink -f "$(command -v "$BASE_PYTHON")")"
    case "$real" in
        /usr/bin/python3*) apt_install "python$BASE_VERSION-venv" "python$BASE_VERSION-dev" ;;
        *) die "$BASE_PYTHON lacks the venv module or the Python headers: install them for $real" ;;
    esac
}

venv_path() {
    # One virtual environment per interpreter and Odoo series, shared by the
    # clones of this project on the machine; SALES_CLOSING_VENV overrides.
    if [ -n "${SALES_CLOSING_VENV:-}" ]; then echo "$SALES_CLOSING_VENV"; return; fi
    local real key
    # the interpreter's own file, as Python reports it: the same key for a
    # pyenv shim, the interpreter it runs and a virtual environment made
    # from it
    real="$("$BASE_PYTHON" -c 'import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable))' 2>/dev/null)" \
        || real="$(readlink -f "$(command -v "$BASE_PYTHON")")"
    key="$(printf '%s %s odoo-18.0' "$real" "$BASE_VERSION" | sha256sum | cut -c1-10)"
    echo "$SHARE/venv-py$BASE_VERSION-$key"
}

odoo_source_dir() {
    # The Odoo 18.0 source tree to install from, fetched into ODOO_HOME when
    # ODOO_SOURCE is an archive or git URL; a local folder is linked there.
    if [ -f "$ODOO_HOME/setup.py" ]; then echo "$ODOO_HOME"; return; fi
    if [ -d "$ODOO_SOURCE" ]; then
        [ -f "$ODOO_SOURCE/setup.py" ] || die "ODOO_SOURCE=$ODOO_SOURCE holds no Odoo source (no setup.py)"
        mkdir -p "$(dirname "$ODOO_HOME")"
        rm -rf "$ODOO_HOME"
        ln -s "$(cd "$ODOO_SOURCE" && pwd)" "$ODOO_HOME"
        echo "$ODOO_HOME"; return
    fi
    say "downloading Odoo 18.0 from $ODOO_SOURCE into $ODOO_HOME"
    local tmp="$ODOO_HOME.partial.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"
    case "$ODOO_SOURCE" in
        *.git|git@*) git clone -q --depth 1 --branch 18.0 "$ODOO_SOURCE" "$tmp" ;;
        *) curl -fsSL "$ODOO_SOURCE" | tar -xz --strip-components=1 -C "$tmp" ;;
    esac || { rm -rf "$tmp"; die "could not fetch Odoo from $ODOO_SOURCE (set ODOO_SOURCE to an Odoo 18.0 source folder)"; }
    mv "$tmp" "$ODOO_HOME"
    echo "$ODOO_HOME"
}

build_venv() {
    # build_venv TARGET: a virtual environment with Odoo 18.0 and its pinned
    # requirements, built in a temporary folder and moved into place whole.
    local target="$1" tmp source
    source="$(odoo_source_dir)"
    ensure_venv_tools
    tmp="$target.partial.$$"
    rm -rf "$tmp"
    trap 'rm -rf "'"$tmp"'"' EXIT
    say "building the virtual environment $target from $BASE_PYTHON (Python $BASE_VERSION, a few minutes)"
    "$BASE_PYTHON" -m venv "$tmp"
    # Odoo 18's pinned requirements build only with setuptools < 70.
    echo 'setuptools<70' > "$tmp/build-constraint.txt"
    PIP_CONSTRAINT="$tmp/build-constraint.txt" "$tmp/bin/python" -m pip install -q \
        --disable-pip-version-check -r "$source/requirements.txt"
    # compat mode, or the OCA odoo-addon-* wheels shadow the odoo package.
    "$tmp/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
        --config-settings editable_mode=compat -e "$source"
    [ "$(odoo_version_of "$tmp/bin/python")" = 18.0 ] \
        || die "Odoo was installed from $source but does not import as 18.0"
    # a venv records its own path in its scripts: point them at the final one
    grep -rlI --null "$tmp" "$tmp/bin" | xargs -0 -r sed -i "s#$tmp#$target#g"
    rm -rf "$target"
    mv "$tmp" "$target"
    trap - EXIT
}

ensure_odoo() {
    # Sets PYTHON to the interpreter that runs Odoo 18.0 and the project.
    apt_install libpq-dev libldap2-dev libsasl2-dev build-essential wkhtmltopdf poppler-utils fonts-noto-cjk fonts-wqy-microhei
    local given="${ODOO_PYTHON:-}" version
    [ -z "$given" ] && [ -n "${VIRTUAL_ENV:-}" ] && given="$VIRTUAL_ENV/bin/python"
    if [ -n "$given" ]; then
        version="$(odoo_version_of "$given")"
        if [ "$version" = 18.0 ]; then
            PYTHON="$given"; VENV="$(dirname "$(dirname "$given")")"
            say "using Odoo 18.0 of $given"
            return 0
        fi
        if [ -n "${ODOO_PYTHON:-}" ]; then
            die "ODOO_PYTHON=$given imports $(odoo_words "$version"); it must import Odoo 18.0"
        fi
        [ -n "$version" ] && die "the active virtual environment $VIRTUAL_ENV imports Odoo $version, not 18.0: deactivate it or set ODOO_PYTHON"
    fi
    check_base_python
    VENV="$(venv_path)"
    version="$(odoo_version_of "$VENV/bin/python")"
    if [ -x "$VENV/bin/python" ] && [ "$version" != 18.0 ]; then
        die "$VENV imports $(odoo_words "$version"), not 18.0: remove that folder and run this again"
    fi
    [ -x "$VENV/bin/python" ] || build_venv "$VENV"
    PYTHON="$VENV/bin/python"
}

ensure_python_deps() {
    # requirements.txt, installed in the virtual environment once per content.
    local stamp="$VENV/.sales_closing-requirements.sha256" sum
    sum="$(sha256sum "$REPO/requirements.txt" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "installing Python dependencies from requirements.txt into $VENV"
        "$PYTHON" -m pip install -q --disable-pip-version-check -r "$REPO/requirements.txt"
        echo "$sum" > "$stamp" 2>/dev/null || true
    fi
}

write_config() {
    # write_config FILE: an Odoo configuration for this checkout.
    cat > "$1" <<CONF
[options]
addons_path = $REPO
data_dir = $STATE/data
admin_passwd = admin
CONF
}

ensure_all() {
    ensure_postgres
    ensure_odoo
    ensure_python_deps
    CONFIG="$STATE/odoo.conf"
    write_config "$CONFIG"
}

odoo_bin() { "$PYTHON" -m odoo -c "$CONFIG" "$@"; }

db_exists() { [ "$(psql -X -d postgres -Atc "select 1 from pg_database where datname='$1'")" = 1 ]; }
