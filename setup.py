"""Build hook for the optional C accelerator; all metadata lives in pyproject.toml.

``jitmaker.accounts._speedups`` is optional: without a C compiler the install still succeeds
and the package uses the exact pure-Python twins in ``jitmaker/accounts/_getter.py``.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "jitmaker.accounts._speedups",
            ["src/jitmaker/accounts/_speedups.c"],
            optional=True,
        )
    ]
)
