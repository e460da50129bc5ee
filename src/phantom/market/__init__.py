"""Market state and data sources (the embedded replay world; later RPC, WebSocket and files)."""
