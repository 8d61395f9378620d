from . import sales_closing_reopen_wizard
from . import sales_closing_period_generate
