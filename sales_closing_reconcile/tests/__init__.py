from . import test_engine_parsers
from . import test_engine_normalize
from . import test_engine_matching
from . import test_matching_odoo
from . import test_statement_import
from . import test_differences
from . import test_ui
from . import test_payouts
