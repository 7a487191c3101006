"""Route groups (powertools routers); each API function includes the ones it serves."""
