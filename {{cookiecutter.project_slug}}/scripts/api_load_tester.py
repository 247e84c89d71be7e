"""Load-test this service from its own OpenAPI document, gate on SLOs and baselines.

Usage: python scripts/api_load_tester.py --help

Built on Locust (used as a library): the scenario is generated from /openapi.json
as a plain locustfile, driven under an open model (--rate, latency measured from
each request's intended send time) or a closed one (--users), measured into
report.json and PNG charts, and judged with --analyze (exit codes: 0 pass, 1 SLO
breach, 2 regression, 3 invalid run, 4 usage error). Locust's master/worker mode
(--processes, --master, --worker) carries a test past one machine; --help tells
how to run the workers on Kubernetes.
"""

import sys

from load_testing.cli import main

if __name__ == "__main__":
    sys.exit(main())
