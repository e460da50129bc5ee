"""Domain types, clocks, the event bus and seeded randomness. Imports nothing else from phantom."""
