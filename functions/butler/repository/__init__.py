"""Persistence: PynamoDB models and the small repositories the handlers use."""
