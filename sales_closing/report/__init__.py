from . import sales_closing_sales_report
from . import sales_closing_collection_analysis
from . import sales_closing_aging_report
from . import sales_closing_collection_pdf
