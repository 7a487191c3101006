"""Persistence: PynamoDB models and the small repositories the handlers use."""
import logging

# PynamoDB and botocore log whole items and request bodies at DEBUG: residents' names and
# phone numbers would reach the logs whenever someone turns debugging on. Keep them at INFO.
for _name in ("pynamodb", "botocore"):
    _logger = logging.getLogger(_name)
    if _logger.level < logging.INFO:  # NOTSET would inherit DEBUG from the root
        _logger.setLevel(logging.INFO)
