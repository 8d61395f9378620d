from . import test_engine_parsers
from . import test_engine_normalize
from . import test_engine_matching
