from . import sales_closing_check_kind
