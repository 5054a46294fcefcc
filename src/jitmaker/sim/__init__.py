"""jitmaker.sim."""
