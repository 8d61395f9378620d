from . import test_engine_alipay
from . import test_engine_dunning
from . import test_engine_idempotency
from . import test_engine_schedule
from . import test_engine_wechatpay
