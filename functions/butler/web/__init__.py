"""HTTP glue: request schemas, the resolver factory, error mapping, idempotency."""
