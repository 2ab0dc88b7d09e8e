"""Settings of a benchmark run: production settings plus the bare baseline view's route.

Nothing else may differ, or the benchmark would not measure the production stack. The one
addition, bench/middleware.py, acts only on requests that carry its headers (the runner's
query-count samples and its cold-cache runs); every other request passes straight through.
bench/run.sh exports DJANGO_SETTINGS_MODULE=bench.settings before it starts the stack.
"""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "config.bench_views"
MIDDLEWARE = ["bench.middleware.BenchMiddleware", *MIDDLEWARE]
