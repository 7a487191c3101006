"""Use cases: domain rules applied to what the repositories hold."""
