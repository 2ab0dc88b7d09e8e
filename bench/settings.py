"""Settings of a benchmark run: production settings plus the bare baseline view's route.

Nothing else may differ, or the benchmark would not measure the production stack.
bench/run.sh exports DJANGO_SETTINGS_MODULE=bench.settings before it starts the stack.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "config.bench_views"
