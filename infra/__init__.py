"""Runs and checks template.yaml locally: template reading, API Gateway events, the local stack."""
