"""ComplaintsFunction: inquiries, complaints and suggestions under /api/complaints."""
from aws_lambda_powertools import Logger

from butler.web.app import create_app, lambda_entry
from butler.web.routes import complaints
from handlers import loaded

logger = Logger()
app = create_app(complaints.router)
handler = complaints.metrics.log_metrics(lambda_entry(app, logger))

loaded()  # last: the import is done (handlers/__init__.py)
