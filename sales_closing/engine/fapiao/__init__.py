"""China's fully digitalised e-invoices (数电票): pure Python, no Odoo.

- :mod:`.template`: the tax platform's batch-issue workbook (批量开票-导入开票模板)
  filled in place, columns found by their row-3 headers;
- :mod:`.checks`: what the platform refuses, checked before a batch is written;
- :mod:`.issued`: issued invoices read back (XML, OFD, the 信息汇总表 export);
- :mod:`.matching`: issued invoices linked to Odoo's invoices;
- :mod:`.provider`: the provider client interface, the file workflow and the
  rule "query the serial before any retry";
- :mod:`.nuonuo`: Nuonuo's open platform (signed requests).
"""

from .common import (  # noqa: F401
    FapiaoError,
    INVOICE_TYPES,
    RATES,
    is_tax_code,
    is_uscc,
    money,
)
