# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.3.0: the closing package's content hash covers the package row too
(issue #19 item 10, hash format 2).

The packages sealed before were hashed in format 1 (snapshot and files only):
they are marked so before the ORM adds the column with its default (2), and
Verify keeps checking them in the format they were sealed with.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "ALTER TABLE sales_closing_package ADD COLUMN IF NOT EXISTS hash_version int4"
    )
    cr.execute("UPDATE sales_closing_package SET hash_version = 1")
