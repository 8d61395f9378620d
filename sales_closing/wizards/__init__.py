from . import sales_closing_reopen_wizard
