"""Trading engines: synchronous, pure, mode-agnostic."""
