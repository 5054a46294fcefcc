"""jitmaker.strategies."""
