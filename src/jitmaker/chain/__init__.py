"""jitmaker.chain."""
