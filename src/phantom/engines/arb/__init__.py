"""Cross-DEX arbitrage: two-pool and triangular cycles through a base token."""
