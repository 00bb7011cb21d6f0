import gc

gc.disable()  # during the imports too: see cli.main._collect_from_here

from smtpdoctor.cli.main import main  # noqa: E402

raise SystemExit(main())
