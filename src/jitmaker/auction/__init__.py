"""jitmaker.auction."""
