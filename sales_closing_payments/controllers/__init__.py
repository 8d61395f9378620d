from . import main
from . import installment_portal
from . import sale_portal
