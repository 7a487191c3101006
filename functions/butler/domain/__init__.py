"""Pure domain logic: workflows, service levels, identifiers. No I/O, no AWS imports."""
