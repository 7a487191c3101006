"""RepairsFunction: POST /api/repairs and GET /api/repairs/{reference}."""
from aws_lambda_powertools import Logger

from butler.web.app import create_app, lambda_entry
from butler.web.routes import repairs
from handlers import loaded

logger = Logger()
app = create_app(repairs.router)
handler = repairs.metrics.log_metrics(lambda_entry(app, logger))

loaded()  # last: the import is done (handlers/__init__.py)
