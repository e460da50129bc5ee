"""Risk gates between engine and execution: small, typed, one job each."""
