"""`python -m kliyan` runs the `kliyan` command."""

from kliyan.cli import main

raise SystemExit(main())
