"""Wiring: settings, CLI, orchestrator, logging. Nothing imports ``phantom.app``."""
