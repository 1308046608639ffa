"""``python -m tests.bench``: every benchmark, PERFORMANCE.md and performance.json (see run_all)."""

from tests.bench.run_all import main

raise SystemExit(main())
