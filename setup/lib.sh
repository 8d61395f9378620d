# Shared set-up steps of ./setup/demo and ./setup/test. Source it; don't run it.
# Each step finds what is there and installs only what is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${SALES_CLOSING_STATE:-$REPO/.state}"
ADDONS="sales_closing,sales_closing_payments,sales_closing_reconcile"
PYTHON="${PYTHON:-python3}"
ODOO_SOURCE="${ODOO_SOURCE:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}"
ODOO_HOME="${ODOO_HOME:-$HOME/.local/share/sales_closing/odoo-18.0}"
mkdir -p "$STATE"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

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

odoo_importable() {
    "$PYTHON" - <<'PY' >/dev/null 2>&1
import odoo.cli, odoo.release
assert odoo.release.version_info[:2] == (18, 0)
PY
}

ensure_odoo() {
    apt_install libpq-dev libldap2-dev libsasl2-dev build-essential wkhtmltopdf poppler-utils fonts-noto-cjk
    odoo_importable && return 0
    say "Odoo 18.0 is not importable by $PYTHON: installing it from $ODOO_SOURCE into $ODOO_HOME"
    if [ -d "$ODOO_SOURCE" ]; then
        ODOO_HOME="$ODOO_SOURCE"
    elif [ ! -f "$ODOO_HOME/setup.py" ]; then
        mkdir -p "$ODOO_HOME"
        case "$ODOO_SOURCE" in
            *.git|git@*) git clone --depth 1 --branch 18.0 "$ODOO_SOURCE" "$ODOO_HOME" ;;
            *) curl -fsSL "$ODOO_SOURCE" | tar -xz --strip-components=1 -C "$ODOO_HOME" ;;
        esac
    fi
    # Odoo 18's pinned requirements build only with setuptools < 70.
    local constraint="$STATE/build-constraint.txt"
    echo 'setuptools<70' > "$constraint"
    PIP_CONSTRAINT="$constraint" "$PYTHON" -m pip install -q -r "$ODOO_HOME/requirements.txt"
    # compat mode, or the OCA odoo-addon-* wheels shadow the odoo package.
    "$PYTHON" -m pip install -q --config-settings editable_mode=compat -e "$ODOO_HOME"
    odoo_importable || die "Odoo was installed from $ODOO_SOURCE but $PYTHON cannot import it"
}

ensure_python_deps() {
    local stamp="$STATE/requirements.sha256" sum
    sum="$(sha256sum "$REPO/requirements.txt" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "installing Python dependencies from requirements.txt"
        "$PYTHON" -m pip install -q --disable-pip-version-check -r "$REPO/requirements.txt"
        echo "$sum" > "$stamp"
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
