"""jitmaker: a JIT maker bot for Drift Protocol v2."""

__version__ = "0.1.0"
