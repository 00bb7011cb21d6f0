from smtpdoctor.cli.warmclient import try_warm

# A running warm server (`smtpdoctor warm start`) runs the command: see cli/warmclient.py.
if (_status := try_warm()) is not None:
    import os

    os._exit(_status)

import gc
import sys

from smtpdoctor.cli import startimports
from smtpdoctor.cli.deferred import defer

gc.disable()  # during the imports too: see cli.main._collect_from_here
defer()  # what the imports below load but seldom use, loaded on first use
startimports.preload(sys.argv[1:])  # where they are, from the last run's table

from smtpdoctor.cli import startregex  # noqa: E402

startregex.preload(sys.argv[1:])  # the regexes they compile, from the last run's programs

from smtpdoctor.cli.early import send_first  # noqa: E402

send_first(sys.argv[1:])  # a diagnosis's first DNS questions, before the modules below

from smtpdoctor.cli.main import main  # noqa: E402

raise SystemExit(main())
