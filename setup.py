"""Builds the logs engine's C extension (everything else is in pyproject.toml).

``optional=True``: when it cannot be compiled (no compiler, no Python headers)
the install goes on without it and smtpdoctor uses its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "smtpdoctor.logs._scan",
            ["src/smtpdoctor/logs/_scan.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
