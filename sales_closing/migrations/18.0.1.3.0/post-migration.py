# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.3.0: each company records the head of its chain of closing packages
(issue #19 item 10); the head of an existing chain is its newest package."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE res_company company
           SET sales_closing_package_head_id = head.id,
               sales_closing_package_head_hash = head.chain_hash
          FROM (SELECT DISTINCT ON (company_id) id, company_id, chain_hash
                  FROM sales_closing_package
              ORDER BY company_id, id DESC) head
         WHERE head.company_id = company.id
        """
    )
