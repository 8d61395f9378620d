from . import sales_closing_reopen_wizard
from . import sales_closing_period_generate
from . import sales_closing_statement_generate
from . import sales_closing_order_decision
from . import sales_closing_order_import
from . import sales_closing_report_wizard
