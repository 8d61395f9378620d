"""Run one of this folder's checks inside Odoo: ``python odoo_script.py
--config FILE --database DB CHECK [ARGS]``, where CHECK is ``smoke`` or
``fingerprint OUT.json``. The checks use only the addons' public workflow,
as a user's session would, so they hold for an installed wheel as for a
checkout. They print what they found and exit 1 on a failed check."""

import argparse
import hashlib
import json
import sys

import odoo
from odoo import SUPERUSER_ID, api, fields

# The models whose stored rows an upgrade must keep, with the minimum count
# the demo data gives each (0: may be empty).
KEPT_MODELS = {
    "sales.closing.period": 1,
    "sales.closing.package": 1,
    "sales.closing.check.line": 1,
    "sales.closing.audit.log": 1,
    "sales.closing.statement": 1,
    "sales.closing.match.suggestion": 1,
    "sales.closing.installment.plan.line": 1,
    "sales.closing.payment.notification": 0,
    "sales.closing.dunning.line": 1,
    "sales.closing.collection.case": 1,
}
# Columns a module update may rewrite without changing the data.
VOLATILE = {"write_date", "write_uid", "create_date", "create_uid"}


def smoke(env):
    """Menus load for the administrator and a month closes with a package."""
    admin = env.ref("base.user_admin")
    uenv = env(user=admin, su=False)
    menus = uenv["ir.ui.menu"].load_menus(debug=False)
    names = {menu["name"] for menu in menus.values() if isinstance(menu, dict)}
    wanted = {"Closing"}
    missing = wanted - names
    if missing:
        return f"menus missing for admin: {sorted(missing)}"
    company = uenv.company
    period = uenv["sales.closing.period"].create(
        {
            "name": "Smoke 2020-01",
            "company_id": company.id,
            "date_from": "2020-01-01",
            "date_to": "2020-01-31",
        }
    )
    period.action_run_checks()
    lines = period.check_line_ids
    lines.filtered(lambda line: line.is_manual).action_mark_done()
    failed = lines.filtered(lambda line: line.status == "failed")
    if failed:
        return f"checks failed on an empty month: {', '.join(failed.mapped('name'))}"
    signed = lines.filtered("reviewer_id")
    if signed:
        signed.action_sign_prepare()
        signed.action_sign_review()
    period.action_close()
    if period.state != "closed":
        return f"period state is {period.state} after closing"
    packages = env["sales.closing.package"].search([("period_id", "=", period.id)])
    if len(packages) != 1:
        return f"{len(packages)} packages sealed for the period, expected 1"
    print(f"smoke: {len(menus)} menus, period closed, package {packages.display_name}")
    return None


def fingerprint(env, out):
    """Row counts and a digest of every stored column of the kept models,
    plus whether every closing package still verifies."""
    result = {"models": {}, "errors": []}
    for model, minimum in KEPT_MODELS.items():
        if model not in env:
            result["errors"].append(f"model {model} is missing")
            continue
        records = env[model].with_context(active_test=False).search([], order="id")
        names = sorted(
            name
            for name, field in env[model]._fields.items()
            if field.store and field.column_type and name not in VOLATILE
        )
        rows = records.read(names, load=None) if records else []
        digest = hashlib.sha256(
            json.dumps(rows, sort_keys=True, default=str).encode()
        ).hexdigest()
        result["models"][model] = {"count": len(records), "digest": digest}
        if len(records) < minimum:
            result["errors"].append(f"{model}: {len(records)} rows, expected some")
    # read-only: the chain check behind the Verify button, without its log
    packages = env["sales.closing.package"].search([], order="id")
    broken = [
        f"{package.display_name}: {problems}"
        for package in packages
        for problems in [package._chain_problems()]
        if problems
    ]
    result["packages_verified"] = len(packages) - len(broken)
    if broken:
        result["errors"].append(f"packages that no longer verify: {broken}")
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
    return "; ".join(result["errors"]) or None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("check", choices=["smoke", "fingerprint"])
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    odoo.tools.config.parse_config(["-c", options.config, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(options.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tz": "UTC"})
        fields.Date.today()  # Odoo's date helpers loaded before the checks
        if options.check == "smoke":
            error = smoke(env)
        else:
            error = fingerprint(env, *options.args)
        if options.check == "smoke" and not error:
            cr.commit()
    if error:
        print(f"FAILED: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
