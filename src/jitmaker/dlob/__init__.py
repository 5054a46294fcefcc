"""jitmaker.dlob."""
