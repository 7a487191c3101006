"""ApiDocsFunction: GET /api/openapi.json."""
from aws_lambda_powertools import Logger

from butler.web.app import create_app, lambda_entry
from butler.web.routes import docs
from handlers import loaded

logger = Logger()
app = create_app(docs.router)
handler = lambda_entry(app, logger)

loaded()  # last: the import is done (handlers/__init__.py)
