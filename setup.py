"""Builds the logs engine's C extension (everything else is in pyproject.toml).

``optional=True``: when it cannot be compiled (no compiler, no Python headers)
the install goes on without it and smtpdoctor uses its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "smtpdoctor.logs._scan",
            # (one module from several C files: _scan.c holds the module)
            [
                "src/smtpdoctor/logs/_scan.c",
                "src/smtpdoctor/logs/_scan_state.c",
                "src/smtpdoctor/logs/_scan_markers.c",
                "src/smtpdoctor/logs/_scan_tables.c",
                "src/smtpdoctor/logs/_scan_rare.c",
                "src/smtpdoctor/logs/_scan_inbound.c",
                "src/smtpdoctor/logs/_scan_memo.c",
                "src/smtpdoctor/logs/_scan_records.c",
                "src/smtpdoctor/logs/_scan_read.c",
                "src/smtpdoctor/logs/_scan_words.c",
            ],
            depends=["src/smtpdoctor/logs/_scan.h", "src/smtpdoctor/logs/_scan_state.h"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
