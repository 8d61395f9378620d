from . import res_company
from . import res_config_settings
from . import sales_closing_check_kind
from . import sales_closing_period
from . import sales_closing_check_line
from . import sales_closing_audit_log
from . import sales_closing_demo
