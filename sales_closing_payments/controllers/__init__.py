from . import main
from . import portal_payment_key
from . import installment_portal
from . import sale_portal
