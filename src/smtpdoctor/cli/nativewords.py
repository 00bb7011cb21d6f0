"""The log engine's compiled word finder, given to the word index of an ``explain`` run.

:func:`smtpdoctor.knowledge.phrasing.use_word_finder` takes a callable that finds
the index words a text holds; the log engine's C extension has one
(``_scan.WordFinder``, ``logs/_scan_words.c``). The knowledge layer imports nothing
of the log engine, and importing ``smtpdoctor.logs`` for it would load the whole
engine (~0.1 s): the extension is loaded here from its file, under its own name
(the module Python's import would make of it; a later ``import smtpdoctor.logs``
finds it loaded). Without the built extension, or with ``SMTPDOCTOR_PURE_PYTHON``
set, nothing is given (pyahocorasick or the character-triple scan does it).
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

__all__ = ["enable"]

_NAME = "smtpdoctor.logs._scan"


def enable() -> None:
    """Give phrasing the compiled word finder, when the extension is built."""
    if os.environ.get("SMTPDOCTOR_PURE_PYTHON"):
        return
    # (Imported here: this module is imported before regexstore fills re's cache,
    # and phrasing compiles regexes at import.)
    from smtpdoctor.knowledge.phrasing import use_word_finder

    module = sys.modules.get(_NAME) or _load()
    finder = getattr(module, "WordFinder", None)
    if finder is not None:
        use_word_finder(finder)


def _load() -> object:
    """The extension module loaded from its file (None: not built, or not loadable)."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "logs")
    for suffix in EXTENSION_SUFFIXES:
        path = os.path.join(here, "_scan" + suffix)
        if not os.path.isfile(path):
            continue
        loader = ExtensionFileLoader(_NAME, path)
        spec = ModuleSpec(_NAME, loader, origin=path)
        try:
            module = loader.create_module(spec)
            loader.exec_module(module)
        except ImportError:
            return None
        module.__spec__ = spec
        sys.modules[_NAME] = module
        return module
    return None
