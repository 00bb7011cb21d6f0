from smtpdoctor.cli.main import main

raise SystemExit(main())
