from . import res_company
from . import res_config_settings
from . import sales_closing_match_suggestion
from . import account_bank_statement_line_matching
from . import sales_closing_match_wizard
from . import account_bank_statement_line
from . import account_statement_import
from . import sales_closing_statement_profile
