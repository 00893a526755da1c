"""``python -m satview`` runs the command line."""

from satview.cli import main

raise SystemExit(main())
