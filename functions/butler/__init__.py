"""Shared package behind the service-desk Lambda functions.

Layers point one way: ``web`` (HTTP glue) and ``repository`` (DynamoDB) depend on
``domain``; ``domain`` is pure and imports neither.
"""
