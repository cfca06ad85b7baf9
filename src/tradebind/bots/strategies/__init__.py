"""Strategies: pure functions from a deal's state and market facts to order actions."""
