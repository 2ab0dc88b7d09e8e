"""The benchmark harness's own parts: the bench-only middleware and the results table."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from bench import run
from bench.middleware import COUNT_HEADER, clear_content_cache

BENCH_MIDDLEWARE = "bench.middleware.BenchMiddleware"


@pytest.fixture
def bench_settings(settings: Settings) -> Settings:
    settings.MIDDLEWARE = [BENCH_MIDDLEWARE, *settings.MIDDLEWARE]
    settings.ROOT_URLCONF = "config.bench_views"
    return settings


@pytest.mark.django_db
def test_the_query_count_header_is_every_query_the_request_ran(
    bench_settings: Settings, student_client: Client
) -> None:
    with CaptureQueriesContext(connection) as captured:
        response = student_client.get("/dashboard/", HTTP_X_BENCH_QUERIES="1")
    assert response.status_code == 200
    # The session and user lookups of the middleware count as much as the view's own.
    assert int(response[COUNT_HEADER]) == len(captured.captured_queries) > 2


@pytest.mark.django_db
def test_only_a_request_that_asks_is_counted(bench_settings: Settings, client: Client) -> None:
    assert COUNT_HEADER not in client.get("/bench/bare")
    assert client.get("/bench/bare", HTTP_X_BENCH_QUERIES="1")[COUNT_HEADER] == "0"


@pytest.mark.django_db
def test_a_cold_request_empties_the_content_cache_and_nothing_else(
    bench_settings: Settings, client: Client
) -> None:
    bench_settings.CACHES = {
        **bench_settings.CACHES,
        "content": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench-content"},
    }
    caches["content"].set("page", "cached body")
    caches["default"].set("throttle", 1)
    assert client.get("/bench/bare").status_code == 200
    assert caches["content"].get("page") == "cached body", "a request without the header keeps the cache"
    assert client.get("/bench/bare", HTTP_X_BENCH_COLD="1").status_code == 200
    assert caches["content"].get("page") is None
    assert caches["default"].get("throttle") == 1


@pytest.mark.django_db
def test_without_a_content_cache_a_cold_request_is_an_ordinary_one(
    bench_settings: Settings, client: Client
) -> None:
    bench_settings.CACHES = {k: v for k, v in bench_settings.CACHES.items() if k != "content"}
    caches["default"].set("throttle", 1)
    assert clear_content_cache() is False
    assert client.get("/bench/bare", HTTP_X_BENCH_COLD="1").status_code == 200
    assert caches["default"].get("throttle") == 1


def result(name: str, rps: float, p50: float, p99: float, queries: float | None) -> run.Result:
    return run.Result(
        name=name, requests=int(rps * 10), rps=rps, p50_ms=p50, p99_ms=p99, errors=0, queries=queries
    )


def test_the_markdown_table_has_ratios_to_the_first_row_and_the_new_columns() -> None:
    rows = run.markdown(
        [result("bare", 2000.0, 5.0, 10.0, 0), result("lesson page (anonymous), cold", 500.0, 20.0, 50.0, 6)]
    ).splitlines()
    assert rows[0].split(" | ")[-3:] == ["p99 ÷ p50", "queries/req", "errors |"]
    assert rows[1].count("---") == len(run.COLUMNS)
    assert (
        rows[3]
        == "| lesson page (anonymous), cold | 500.0 | 20.00 | 50.00 | 0.250 | - | 4.0 | 5.0 | 2.5 | 6 | 0 |"
    )
    text = run.table([result("bare", 2000.0, 5.0, 10.0, None)])
    assert text.splitlines()[2].split()[-2:] == ["-", "0"]


def test_a_row_measured_next_to_the_bare_view_is_divided_by_that_measurement() -> None:
    row = run.Result(
        name="lesson page (anonymous), warm",
        requests=5000,
        rps=500.0,
        p50_ms=20.0,
        p99_ms=50.0,
        errors=0,
        base_rps=1000.0,
        base_p50_ms=4.0,
        base_p99_ms=25.0,
        slice_ratios=(0.45, 0.55),
    )
    cells = run.cells(row, result("bare", 2000.0, 5.0, 10.0, 0))
    assert cells[4:8] == ["0.500", "0.45 to 0.55", "5.0", "2.0"]


def wrk_answer(requests: int, seconds: float, p50_ms: float, p99_ms: float) -> dict[str, Any]:
    # What bench/requests.lua prints: 1,000 quantiles, here 98.5% of the requests at p50, the rest at p99.
    return {
        "quantiles_us": [int(p50_ms * 1000)] * 985 + [int(p99_ms * 1000)] * 15,
        "requests": requests,
        "duration_us": int(seconds * 1e6),
        "p50_us": int(p50_ms * 1000),
        "p99_us": int(p99_ms * 1000),
        "connect_errors": 0,
        "read_errors": 0,
        "write_errors": 0,
        "status_errors": 0,
        "timeouts": 0,
        "wraps": 0,
    }


def test_a_row_runs_in_slices_each_after_a_slice_of_the_bare_view(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("BENCH_SLICES", "3")
    monkeypatch.setenv("BENCH_DURATION", "6")
    monkeypatch.setenv("BENCH_WARMUP", "0")
    config = run.Config.from_env()
    calls: list[tuple[str, int, int]] = []
    # The machine slows down in the second slice: the bare view and the row both feel it.
    answers = iter(
        [
            wrk_answer(2000, 2, 4, 10),
            wrk_answer(1000, 2, 10, 30),
            wrk_answer(1000, 2, 8, 20),
            wrk_answer(500, 2, 20, 60),
            wrk_answer(2000, 2, 4, 10),
            wrk_answer(1000, 2, 12, 40),
        ]
    )

    def fake_wrk(config: run.Config, requests, duration: int, *, base_url: str, cold: bool, start: int = 0):
        calls.append((requests.name, duration, start))
        return next(answers)

    monkeypatch.setattr(run, "wrk", fake_wrk)
    monkeypatch.setattr(run, "queries_per_request", lambda *args, **kwargs: 0.0)
    bare = run.Run("bare", tmp_path / "bare.tsv", [], "http://node1")
    lesson = run.Run("lesson", tmp_path / "lesson.tsv", [], "http://node1")
    result = run.measure(config, lesson, bare)

    assert [name for name, _, _ in calls] == ["bare.tsv", "lesson.tsv"] * 3
    assert all(duration == 2 for _, duration, _ in calls)
    # Each slice goes on past the lines the last one sent (two threads, with a margin).
    starts = [start for name, _, start in calls if name == "lesson.tsv"]
    assert starts[0] == 0 and starts[1] >= 1000 / 2 and starts[2] >= starts[1] + 500 / 2
    assert result.rps == pytest.approx(2500 / 6)
    assert result.base_rps == pytest.approx(5000 / 6)
    assert result.slice_ratios == pytest.approx((0.5, 0.5, 0.5))
    # Of all the row's requests: the slow second slice had a fifth of them, so its 60 ms tail
    # (0.3% of the row) is not the row's p99.
    assert (result.p50_ms, result.p99_ms) == (12.0, 30.0)
    assert (result.base_p50_ms, result.base_p99_ms) == (4.0, 10.0)

    # The bare view's own row: its slices alone, no baseline of its own.
    answers = iter([wrk_answer(2000, 2, 4, 10)] * 3)
    calls.clear()
    alone = run.measure(config, bare, None)
    assert [name for name, _, _ in calls] == ["bare.tsv"] * 3
    assert (alone.base_rps, alone.slice_ratios) == (None, ())


def test_every_content_page_runs_warm_and_cold_and_again_through_nginx() -> None:
    config = run.Config.from_env()
    names = [
        "bare",
        "catalog",
        "course",
        "module",
        "lesson",
        "lesson_signed_in",
        "review",
        "dashboard",
        "reveal",
    ]
    files = {name: run.Path(f"/nowhere/{name}.tsv") for name in names}
    samples: dict[str, list[run.Line]] = {name: [] for name in names}
    rows = run.runs(config, files, samples)
    labels = [r.name for r in rows]
    for page in (
        "catalog",
        "course page",
        "module page",
        "lesson page (anonymous)",
        "lesson page (signed in)",
    ):
        single = [r for r in rows if r.name.startswith(page) and r.base_url == config.base_url]
        assert sorted(r.cold for r in single) == [False, True], page
        assert any(r.base_url == config.nginx_url and page in r.name and not r.cold for r in rows), page
    assert labels[0] == "bare Django view (baseline)"
    assert sum(r.base_url == config.nginx_url for r in rows) == 8


def test_percentiles_of_slices_are_those_of_all_their_requests() -> None:
    def spread(requests: int, low: int, high: int) -> dict[str, Any]:
        # Latencies evenly spread from low to high µs.
        return {"requests": requests, "quantiles_us": [low + (high - low) * k // 999 for k in range(1000)]}

    fast, slow = spread(9000, 1000, 2000), spread(1000, 10_000, 20_000)

    # 90% of the requests took 1 to 2 ms, so the median is in there; p99 is 90% into the slow tenth.
    assert 1400 <= run.merged_percentile([fast, slow], 50) <= 1600
    assert 18_800 <= run.merged_percentile([fast, slow], 99) <= 19_200
    assert run.merged_percentile([fast], 99) == pytest.approx(1990, abs=2)
    # A run that answered nothing adds nothing.
    assert run.merged_percentile([fast, {"requests": 0, "quantiles_us": []}], 99) == run.merged_percentile(
        [fast], 99
    )
