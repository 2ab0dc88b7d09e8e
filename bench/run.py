"""The benchmark behind `make bench`; bench/run.sh starts the stack and runs this with its environment.

    python -m bench.run

Seeds the dataset (manage.py seed_bench), times two nightly runs over it (the first, which
replays every learner, and the next, both fanned out over the stack's worker), signs some
learners in over HTTP, then drives each page with wrk on loopback and prints throughput,
p50/p99 latency and queries per request next to a bare Django view measured in the same
run: content pages with a warm and with a cold content cache, then the same pages through
nginx over every web node of the stack. Finally times a 100-lesson bundle export and
import. Settings come from the environment (see Config.from_env).
"""

from __future__ import annotations

import dataclasses
import http.cookiejar
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "requests.lua"
COLD_HEADER = {"X-Bench-Cold": "1"}

SCALES = {
    # learners, concepts, attempts, lessons
    "full": (2000, 500, 1_000_000, 100),
    "small": (100, 50, 20_000, 10),
}
# Seconds per endpoint (timed run, warm-up) unless BENCH_DURATION / BENCH_WARMUP say otherwise:
# the small scale only proves the harness, so it stays quick.
DURATIONS = {"full": (15, 3), "small": (4, 1)}
# Each row's timed run is cut into this many slices, each right after a slice of the bare view
# of the same length (BENCH_SLICES): this machine's CPU runs at speeds up to twice apart for
# seconds at a time (docs/benchmarks.md), so a row is divided by the baseline measured next to it.
SLICES = {"full": 5, "small": 2}
# Query counts are sampled with this many requests per endpoint after its timed run.
QUERY_SAMPLES = 3


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError:
        sys.exit(f"{name} must be an integer, got {raw!r}")


@dataclass(frozen=True)
class Config:
    learners: int
    concepts: int
    attempts: int
    lessons: int
    duration: int
    warmup: int
    slices: int
    threads: int
    connections: int
    sessions: int
    grade_tokens: int
    reuse: bool
    base_url: str
    nginx_url: str
    nodes: int
    out_dir: Path

    @classmethod
    def from_env(cls) -> Config:
        scale = os.environ.get("BENCH_SCALE", "full")
        if scale not in SCALES:
            sys.exit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, got {scale!r}")
        learners, concepts, attempts, lessons = SCALES[scale]
        duration, warmup = DURATIONS[scale]
        slices = env_int("BENCH_SLICES", SLICES[scale])
        if slices < 1:
            sys.exit(f"BENCH_SLICES must be at least 1, got {slices}")
        web_port = env_int("WEB_PORT", 8110)
        nodes = [url for url in os.environ.get("STACK_NODE_URLS", "").split(",") if url]
        return cls(
            learners=env_int("BENCH_LEARNERS", learners),
            concepts=env_int("BENCH_CONCEPTS", concepts),
            attempts=env_int("BENCH_ATTEMPTS", attempts),
            lessons=env_int("BENCH_LESSONS", lessons),
            duration=env_int("BENCH_DURATION", duration),
            warmup=env_int("BENCH_WARMUP", warmup),
            slices=slices,
            threads=env_int("BENCH_THREADS", 2),
            connections=env_int("BENCH_CONNECTIONS", 16),
            sessions=env_int("BENCH_SESSIONS", 8),
            grade_tokens=env_int("BENCH_GRADE_TOKENS", 20_000),
            reuse=os.environ.get("BENCH_REUSE", "") == "1",
            base_url=f"http://127.0.0.1:{web_port}",
            nginx_url=f"http://127.0.0.1:{env_int('NGINX_PORT', web_port + 10)}",
            nodes=len(nodes) or 1,
            out_dir=Path(os.environ.get("BENCH_OUT", ROOT / "artifacts" / "bench")),
        )


# One prepared request: method, path, cookie, CSRF token, body.
Line = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    queries: float | None = None
    note: str = ""
    # The bare view measured in the slices next to this row's (None: this is the bare view).
    base_rps: float | None = None
    base_p50_ms: float | None = None
    base_p99_ms: float | None = None
    # Each slice's req/s ÷ the bare view's in the slice before it.
    slice_ratios: tuple[float, ...] = ()


@dataclass
class Session:
    learner_id: int
    username: str
    cookie: str
    csrf: str


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": model.group(1) if model else "unknown",
        "memory_gib": f"{int(meminfo.group(1)) / 1024**2:.1f}" if meminfo else "unknown",
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": " ".join(wrk_version.split()[:2]),
        "gunicorn_workers": os.environ.get("WEB_WORKERS", "3"),
        # Other work on the machine skews every number; the load average says how much there was.
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def seed(config: Config) -> float | None:
    """Run seed_bench unless an existing dataset may be reused; seconds taken (None when skipped)."""
    from courses.models import Course
    from mastery.management.commands.seed_bench import COURSE_SLUG

    if config.reuse and Course.objects.filter(slug=COURSE_SLUG).exists():
        log("BENCH_REUSE=1 and the bench course exists: seeding skipped")
        return None
    command = [
        sys.executable,
        "manage.py",
        "seed_bench",
        f"--learners={config.learners}",
        f"--concepts={config.concepts}",
        f"--attempts={config.attempts}",
        f"--lessons={config.lessons}",
        "--reset",
    ]
    log(" ".join(command[1:]))
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.monotonic() - started


def time_nightly_fanout(timeout_s: float = 900.0) -> tuple[float | None, int]:
    """The beat's nightly task as production runs it: planned here, its chunks fanned out over
    the stack's Celery worker (mastery.tasks.nightly_mastery_decay); seconds until the run is
    closed (every chunk done), or None when it did not finish within timeout_s."""
    from mastery.models import NightlyRun
    from mastery.tasks import nightly_mastery_decay

    key = f"bench-fanout-{time.time_ns()}"
    log("timing the nightly refresh fanned out over the worker (mastery.tasks.nightly_mastery_decay) …")
    started = time.monotonic()
    nightly_mastery_decay.delay(key=key)
    while time.monotonic() - started < timeout_s:
        run = NightlyRun.objects.filter(key=key).first()
        if run is not None and run.finished_at is not None:
            learners = sum(run.chunk_rows.values_list("learners", flat=True))
            return time.monotonic() - started, learners
        time.sleep(0.5)
    return None, 0


def pick_learners(count: int) -> list[tuple[int, str]]:
    """Typical learners: those around the median number of attempts who have cards due now."""
    from django.contrib.auth.models import User
    from django.db.models import Count, Q
    from django.utils import timezone

    from mastery.management.commands.seed_bench import USER_PREFIX

    rows = list(
        User.objects.filter(username__startswith=USER_PREFIX)
        .annotate(
            n=Count("attempts", distinct=True),
            due=Count("review_cards", filter=Q(review_cards__due__lte=timezone.now()), distinct=True),
        )
        .filter(due__gte=1)
        .order_by("n", "pk")
        .values_list("pk", "username")
    )
    middle = max(len(rows) // 2 - count // 2, 0)
    chosen = rows[middle : middle + count]
    if not chosen:
        sys.exit("no bench learner has a card due: is the dataset seeded?")
    return chosen


def login(base_url: str, learner_id: int, username: str, password: str) -> Session:
    """Sign in through the real login form, as a browser does; the session and CSRF cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{base_url}/accounts/login/"
    opener.open(url, timeout=30).read()
    form = {"username": username, "password": password, "csrfmiddlewaretoken": _cookie(jar, "csrftoken")}
    opener.open(urllib.request.Request(url, data=urlencode(form).encode()), timeout=30).read()
    session = _cookie(jar, "sessionid")
    if not session:
        sys.exit(f"could not sign in as {username}")
    # Login rotates the CSRF token: read it after.
    csrf = _cookie(jar, "csrftoken")
    return Session(learner_id, username, f"sessionid={session}; csrftoken={csrf}", csrf)


def _cookie(jar: http.cookiejar.CookieJar, name: str) -> str:
    return next((c.value or "" for c in jar if c.name == name), "")


def write_requests(path: Path, lines: list[Line]) -> Path:
    with path.open("w") as f:
        for line in lines:
            assert not any("\t" in part or "\n" in part for part in line)
            f.write("\t".join(line) + "\n")
    return path


def request_files(
    config: Config, sessions: list[Session], folder: Path
) -> tuple[dict[str, Path], dict[str, list[Line]]]:
    """A file of prepared requests per endpoint (format: bench/requests.lua), and samples of each.

    Samples are requests like the file's that run.py sends itself: the first once before any
    timing, to prove the page answers 200 (wrk counts a redirect to the login page as a
    success), then all of them after the endpoint's timed run, to read its query count.
    """
    from django.urls import reverse

    from courses.models import Course, Module
    from lessons.models import Lesson
    from mastery.management.commands.seed_bench import COURSE_SLUG
    from quizzes.forms import CheckToken, now_ms
    from quizzes.models import Question

    lessons = [
        lesson.get_absolute_url()
        for lesson in Lesson.objects.for_course(COURSE_SLUG).select_related("module__course")
    ]
    modules = [
        module.get_absolute_url()
        for module in Module.objects.filter(course__slug=COURSE_SLUG)
        .select_related("course")
        .order_by("order")
    ]
    course = Course.objects.get(slug=COURSE_SLUG).get_absolute_url()
    free = list(
        Question.objects.filter(course__slug=COURSE_SLUG, kind=Question.Kind.FREE)
        .select_related("course")
        .order_by("pk")
    )
    shown = now_ms()

    def token(session: Session, question: Question, n: int, *, revealed: bool) -> str:
        # Shown a few seconds ago and, for a grade, revealed since: what a learner's POST carries.
        return CheckToken(
            question_id=question.pk,
            learner_id=session.learner_id,
            mode="study",
            shown_ms=shown - 8_000,
            nonce=f"bench{n}",
            revealed_ms=shown - 3_000 if revealed else None,
            onscreen_ms=shown - 8_000,
        ).sign()

    def check_post(n: int, action: str, *, revealed: bool, extra: dict[str, str]) -> Line:
        # Consecutive requests go to different learners and questions, so they do not queue on one row lock.
        session = sessions[n % len(sessions)]
        question = free[(n // len(sessions)) % len(free)]
        url = f"/courses/{question.course.slug}/questions/{question.slug}/{action}/"
        body = urlencode({"token": token(session, question, n, revealed=revealed), **extra})
        return ("POST", url, session.cookie, session.csrf, body)

    signed_in = [(s.cookie, s.csrf) for s in sessions]
    grade_extra = {"grade": "3"}  # the one grade format: 1 Again to 4 Easy

    def anonymous(name: str, urls: list[str]) -> Path:
        return write_requests(folder / f"{name}.tsv", [("GET", url, "", "", "") for url in urls])

    files = {
        "bare": anonymous("bare", ["/bench/bare"]),
        "catalog": anonymous("catalog", [reverse("courses:catalog")]),
        "course": anonymous("course", [course]),
        "module": anonymous("module", modules),
        "lesson": anonymous("lesson", lessons),
        # Learner n reads lesson n, n + 1, …: consecutive requests differ in both.
        "lesson_signed_in": write_requests(
            folder / "lesson_signed_in.tsv",
            [
                ("GET", lessons[n % len(lessons)], signed_in[n % len(signed_in)][0], "", "")
                for n in range(len(lessons) * len(signed_in))
            ],
        ),
        "review": write_requests(
            folder / "review.tsv", [("GET", "/review/", c, "", "") for c, _ in signed_in]
        ),
        "dashboard": write_requests(
            folder / "dashboard.tsv", [("GET", "/dashboard/", c, "", "") for c, _ in signed_in]
        ),
        "reveal": write_requests(
            folder / "reveal.tsv",
            [check_post(n, "reveal", revealed=False, extra={}) for n in range(len(sessions) * 50)],
        ),
        "grade": write_requests(
            folder / "grade.tsv",
            [check_post(n, "grade", revealed=True, extra=grade_extra) for n in range(config.grade_tokens)],
        ),
    }
    samples = {name: _lines(path, QUERY_SAMPLES) for name, path in files.items()}
    # Tokens of their own: the file's would otherwise be replayed by wrk (or by the samples).
    samples["grade"] = [
        check_post(config.grade_tokens + n, "grade", revealed=True, extra=grade_extra)
        for n in range(QUERY_SAMPLES + 1)
    ]
    return files, samples


def _lines(path: Path, count: int) -> list[Line]:
    with path.open() as f:
        rows = [f.readline().rstrip("\n").split("\t") for _ in range(count)]
    return [
        (method, url, cookie, csrf, body)
        for method, url, cookie, csrf, body in (r for r in rows if len(r) == 5)
    ]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def send(base_url: str, line: Line, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    """Send one prepared request as wrk would (plus headers); its status and response headers."""
    method, url, cookie, csrf, body = line
    headers = {**(headers or {}), **({"Cookie": cookie} if cookie else {})}
    if csrf:
        headers.update({"X-CSRFToken": csrf, "HX-Request": "true"})
    request = urllib.request.Request(
        base_url + url, data=body.encode() if body else None, headers=headers, method=method
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=60) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def probe(base_url: str, name: str, line: Line) -> None:
    """Send one prepared request; exit unless the answer is 200."""
    status, _ = send(base_url, line)
    if status != 200:
        sys.exit(f"{name}: {line[0]} {line[1]} answered {status}, not 200")


def queries_per_request(base_url: str, name: str, lines: list[Line], *, cold: bool) -> float:
    """The median query count of the sample requests (bench/middleware.py counts and reports it)."""
    from bench.middleware import COUNT_HEADER

    counts = []
    for line in lines:
        status, headers = send(base_url, line, {"X-Bench-Queries": "1", **(COLD_HEADER if cold else {})})
        if status != 200 or COUNT_HEADER not in headers:
            sys.exit(f"{name}: {line[0]} {line[1]} answered {status} without {COUNT_HEADER}")
        counts.append(int(headers[COUNT_HEADER]))
    return float(statistics.median(counts))


def wrk(
    config: Config, requests: Path, duration: int, *, base_url: str, cold: bool, start: int = 0
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{config.threads}",
        f"-c{max(config.connections, config.threads)}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        base_url + "/",
    ]
    env = {
        **os.environ,
        "BENCH_REQUESTS": str(requests),
        "BENCH_THREADS": str(config.threads),
        "BENCH_COLD": "1" if cold else "",
        "BENCH_START": str(start),
    }
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^BENCH_JSON (.+)$", output, re.MULTILINE)
    if match is None:
        sys.exit(f"wrk printed no summary:\n{output}")
    return dict(json.loads(match.group(1)))


@dataclass(frozen=True)
class Run:
    """One row of the table: an endpoint's requests, where they go, and with which cache."""

    name: str
    requests: Path
    samples: list[Line]
    base_url: str
    cold: bool = False
    warm_up: bool = True


def measure(config: Config, run: Run, bare: Run | None) -> Result:
    """The row's timed run in config.slices slices, each right after a slice of the bare view
    (bare; None when the row is the bare view itself), and its ratios to those.

    req/s is over all of the row's slices; p50 and p99 are those of all its requests, the
    slices' latency distributions merged (_combined).
    """
    # A cold run has nothing to warm: every request starts from an empty content cache.
    if run.warm_up and not run.cold and config.warmup:
        wrk(config, run.requests, config.warmup, base_url=run.base_url, cold=False)
    seconds = max(1, round(config.duration / config.slices))
    log(
        f"{run.name}: {config.slices} slices of {seconds}s"
        + (" (each after as long of the bare view)" if bare is not None else "")
        + f", {config.threads} threads, {config.connections} connections"
    )
    parts: list[dict[str, Any]] = []
    bases: list[dict[str, Any]] = []
    start = 0
    for _ in range(config.slices):
        if bare is not None:
            bases.append(wrk(config, bare.requests, seconds, base_url=bare.base_url, cold=False))
        data = wrk(config, run.requests, seconds, base_url=run.base_url, cold=run.cold, start=start)
        parts.append(data)
        # Each thread goes on past the lines it sent (threads send unequal shares: a margin).
        start += int(data["requests"] / config.threads * 1.25) + 50
    row = _combined(parts)
    base = _combined(bases) if bases else None
    # Slice by slice (none for the bare view's own row, which has no neighbours).
    pairs = [
        (_combined([data])["rps"], _combined([before])["rps"])
        for data, before in zip(parts, bases, strict=False)
    ]
    errors = sum(
        data[k]
        for data in parts
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    note = ""
    if any(data["wraps"] for data in parts) and run.name.startswith("check grade"):
        note = "tokens ran out: some POSTs replayed (idempotent path)"
    return Result(
        name=run.name,
        requests=row["requests"],
        rps=row["rps"],
        p50_ms=row["p50_ms"],
        p99_ms=row["p99_ms"],
        errors=errors,
        queries=queries_per_request(run.base_url, run.name, run.samples, cold=run.cold),
        note=note,
        base_rps=base["rps"] if base else None,
        base_p50_ms=base["p50_ms"] if base else None,
        base_p99_ms=base["p99_ms"] if base else None,
        slice_ratios=tuple(rps / base_rps for rps, base_rps in pairs if base_rps),
    )


def _combined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Several wrk runs of one endpoint as one: requests over the total time, and p50 and p99
    of all their requests (merged_percentile)."""
    requests = sum(int(data["requests"]) for data in parts)
    seconds = sum(data["duration_us"] for data in parts) / 1e6
    return {
        "requests": requests,
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": merged_percentile(parts, 50) / 1000,
        "p99_ms": merged_percentile(parts, 99) / 1000,
    }


def merged_percentile(parts: list[dict[str, Any]], percent: float) -> float:
    """The latency (µs) under which `percent` of all the runs' requests fell.

    Each wrk run reports its latency at 1,000 evenly spaced quantiles (bench/requests.lua),
    each standing for a thousandth of its requests: the runs' points, weighted by their
    requests, make one distribution, so a short bad slice counts for its share of the
    requests, no more and no less.
    """
    points = sorted(
        (float(value), int(data["requests"]) / len(data["quantiles_us"]))
        for data in parts
        if data["requests"] and data["quantiles_us"]
        for value in data["quantiles_us"]
    )
    if not points:
        return 0.0
    wanted = sum(weight for _, weight in points) * percent / 100
    seen = 0.0
    for value, weight in points:
        seen += weight
        if seen >= wanted:
            return value
    return points[-1][0]


def attempts_count() -> int:
    from mastery.models import Attempt

    return Attempt.objects.count()


def recompute_drain(sessions: list[Session], since: float, timeout: float = 300) -> float | None:
    """Seconds until the Celery worker has recomputed mastery after the last graded POST (None: timed out).

    Done when the broker queue is empty and every signed-in learner has a mastery row
    written after the load ended: the worker's after-attempt recompute, through Redis.
    """
    from datetime import UTC, datetime

    import redis

    from mastery.models import ConceptMastery

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    ended = datetime.fromtimestamp(since, tz=UTC)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        updated = (
            ConceptMastery.objects.filter(
                learner_id__in=[s.learner_id for s in sessions], updated_at__gte=ended
            )
            .values("learner_id")
            .distinct()
            .count()
        )
        if broker.llen("celery") == 0 and updated == len(sessions):
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def time_bundle_round_trip() -> tuple[float, float, str]:
    """(export seconds, import seconds, import summary) of the bench course as a bundle under a new slug."""
    from courses.bundles import export_course, import_bundle
    from courses.models import Course
    from mastery.management.commands.seed_bench import COURSE_SLUG

    course = Course.objects.get(slug=COURSE_SLUG)
    copy_slug = f"{COURSE_SLUG}-import"
    Course.objects.filter(slug=copy_slug).delete()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bundle"
        started = time.monotonic()
        export_course(course, folder)
        exported = time.monotonic() - started
        course_md = folder / "course.md"
        course_md.write_text(
            course_md.read_text().replace(f"slug: {COURSE_SLUG}\n", f"slug: {copy_slug}\n", 1)
        )
        started = time.monotonic()
        result = import_bundle(folder)
        imported = time.monotonic() - started
    Course.objects.filter(slug=copy_slug).delete()
    return exported, imported, result.summary()


COLUMNS = ["endpoint", "req/s", "p50 ms", "p99 ms", "req/s ÷ bare", "slices ÷ bare", "p50 ÷ bare"]
COLUMNS += ["p99 ÷ bare", "p99 ÷ p50", "queries/req", "errors"]


def cells(r: Result, base: Result) -> list[str]:
    """One row of the table; ratios to the bare view measured next to it (its slices' neighbours),
    or to the first result (the bare view's own row) for a row measured without."""
    base_rps = r.base_rps or base.rps
    base_p50 = r.base_p50_ms or base.p50_ms
    base_p99 = r.base_p99_ms or base.p99_ms
    spread = f"{min(r.slice_ratios):.2f} to {max(r.slice_ratios):.2f}" if r.slice_ratios else "-"
    return [
        r.name,
        f"{r.rps:.1f}",
        f"{r.p50_ms:.2f}",
        f"{r.p99_ms:.2f}",
        f"{r.rps / base_rps:.3f}",
        spread,
        f"{r.p50_ms / base_p50:.1f}",
        f"{r.p99_ms / base_p99:.1f}",
        f"{r.p99_ms / r.p50_ms:.1f}" if r.p50_ms else "-",
        "-" if r.queries is None else f"{r.queries:g}",
        str(r.errors),
    ]


def table(results: list[Result]) -> str:
    rows = [COLUMNS, *(cells(r, results[0]) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row: list[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs]
        return " ".join(padded)

    return "\n".join([line(COLUMNS), "-" * len(line(COLUMNS)), *(line(row) for row in rows[1:])])


def markdown(results: list[Result]) -> str:
    rows = [COLUMNS, ["---", *["---:"] * (len(COLUMNS) - 1)], *(cells(r, results[0]) for r in results)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def runs(config: Config, files: dict[str, Path], samples: dict[str, list[Line]]) -> list[Run]:
    """Every row but the graded answer, in order: one node, warm and cold, then through nginx."""
    content = [
        ("catalog", "catalog (anonymous)"),
        ("course", "course page (anonymous)"),
        ("module", "module page (anonymous)"),
        ("lesson", "lesson page (anonymous)"),
        ("lesson_signed_in", "lesson page (signed in)"),
    ]
    others = [
        ("review", "review page (signed in)"),
        ("dashboard", "dashboard (signed in)"),
        ("reveal", "check reveal POST (htmx)"),
    ]
    one = config.base_url
    rows = [Run("bare Django view (baseline)", files["bare"], samples["bare"], one)]
    for key, label in content:
        rows.append(Run(f"{label}, warm", files[key], samples[key], one))
        rows.append(Run(f"{label}, cold", files[key], samples[key], one, cold=True))
    rows += [Run(label, files[key], samples[key], one) for key, label in others]
    via = f"{config.nodes} node{'s' if config.nodes != 1 else ''} via nginx"
    rows.append(Run(f"{via}: bare Django view", files["bare"], samples["bare"], config.nginx_url))
    for key, label in [*content, *others[:2]]:
        rows.append(Run(f"{via}: {label}, warm", files[key], samples[key], config.nginx_url))
    return rows


def settle(timeout: float = 300) -> float:
    """VACUUM ANALYZE what seeding and the nightly wrote, then wait for autovacuum to be idle.

    The nightly runs write some 300,000 rows just before the load; PostgreSQL's autovacuum
    would otherwise work through them on the same two cores during the first rows of the
    table (a deployment's traffic does not start the minute a million rows were loaded).
    """
    from django.db import connection

    started = time.monotonic()
    log("settling the database (VACUUM ANALYZE, autovacuum idle)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        while time.monotonic() - started < timeout:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
            if not cursor.fetchone()[0]:
                break
            time.sleep(1)
    return time.monotonic() - started


def main() -> None:
    config = Config.from_env()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection

    from mastery.management.commands.seed_bench import PASSWORD

    info = machine()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        info["postgresql"] = str(cursor.fetchone()[0])
    if connection.vendor != "postgresql":
        sys.exit("the benchmark runs on PostgreSQL: start it through bench/run.sh")
    timings: dict[str, Any] = {"seed_s": seed(config)}
    # The first run after seeding replays every learner from their attempts (no mastery rows
    # yet); the next one only reads the stored standing at a later moment. Both as production
    # runs the beat's task: fanned out over the stack's worker.
    recompute_s, learners = time_nightly_fanout()
    timings.update(nightly_recompute_s=recompute_s, nightly_recompute_learners=learners)
    fanout_s, fanout_learners = time_nightly_fanout()
    timings.update(nightly_fanout_s=fanout_s, nightly_fanout_learners=fanout_learners)
    timings["settle_s"] = settle()
    info["load_before_requests"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    connection.close()

    chosen = pick_learners(config.sessions)
    log(f"signing in {len(chosen)} learners over HTTP")
    sessions = [login(config.base_url, pk, username, PASSWORD) for pk, username in chosen]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        files, samples = request_files(config, sessions, Path(tmp))
        connection.close()
        for name, lines in samples.items():
            probe(config.base_url, name, lines[0])
        samples["grade"] = samples["grade"][1:]  # the probe used its token
        rows = runs(config, files, samples)
        bare = rows[0]  # the bare view on node 1: measured next to every other row
        for run in rows:
            results.append(measure(config, run, None if run is bare else bare))
        before = attempts_count()
        connection.close()
        # Last: each graded POST queues a recompute, and the worker's catch-up uses the same two cores.
        grade_run = Run("check grade POST (htmx, writes)", files["grade"], samples["grade"], config.base_url)
        grade = measure(config, dataclasses.replace(grade_run, warm_up=False), bare)
        ended = time.time()
        # Not the query-count samples measure() sent after the run: each made an attempt too.
        created = attempts_count() - before - len(samples["grade"])
        results.append(grade)
    timings.update(grade_posts=grade.requests, grade_attempts_created=created)
    log(f"grade POSTs: {grade.requests}, attempts created: {created}; waiting for the worker's recomputes")
    timings["recompute_drain_s"] = recompute_drain(sessions, ended)
    log("timing a bundle export and import of the bench course")
    exported, imported, summary = time_bundle_round_trip()
    timings.update(bundle_export_s=exported, bundle_import_s=imported, bundle=summary)

    info["load_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print("Machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print(
        f"Dataset: {config.learners} learners, {config.concepts} concepts, {config.attempts:,} attempts, "
        f"{config.lessons} lessons; wrk {config.threads} threads, {config.connections} connections, "
        f"{config.duration}s per endpoint in {config.slices} slices, each after as long of the bare view; "
        f"{config.nodes} web node(s), nginx at {config.nginx_url}"
    )
    print()
    print(table(results))
    print()
    print(
        "ratios: req/s ÷ the bare view's req/s in the slices next to the row's (1 = as fast as it); "
        "slices ÷ bare: the lowest and highest slice's ratio; p50/p99 ÷ the bare view's (times slower); "
        "p50 and p99: of all the row's requests, its slices merged"
    )
    bare_rates = [r.base_rps for r in results if r.base_rps]
    if bare_rates:
        print(
            f"the bare view's req/s next to each row: {min(bare_rates):.0f} to {max(bare_rates):.0f} "
            "(the machine's own speed moving: see docs/benchmarks.md)"
        )
    print("warm: the content cache filled by a warm-up; cold: emptied before every request (X-Bench-Cold)")
    for r in results:
        if r.note:
            print(f"note on {r.name}: {r.note}")
    if timings["seed_s"] is not None:
        print(f"seeding (seed_bench):                 {timings['seed_s']:8.1f} s")
    print(
        "first nightly run after seeding, fanned out over the worker (2 processes, every learner replayed): "
        + (
            f"{recompute_s:8.1f} s for {learners} learners "
            f"({1000 * recompute_s / max(learners, 1):.1f} ms per learner)"
            if recompute_s is not None
            else "not finished within 900 s"
        )
    )
    fanout = timings["nightly_fanout_s"]
    print(
        "nightly refresh, next run fanned out over the worker (2 processes): "
        + (
            f"{fanout:8.1f} s for {timings['nightly_fanout_learners']} learners"
            if fanout is not None
            else "not finished within 900 s"
        )
    )
    print(f"settling before the load (VACUUM ANALYZE, autovacuum idle): {timings['settle_s']:6.1f} s")
    print(f"grade POSTs: {grade.requests} sent, {created} attempts created")
    drain = timings["recompute_drain_s"]
    print(
        "worker recompute after the grade run: "
        + (f"caught up {drain:.1f} s after the load" if drain is not None else "not caught up within 300 s")
    )
    print(f"bundle export ({config.lessons} lessons): {exported:8.1f} s")
    print(f"bundle import ({config.lessons} lessons): {imported:8.1f} s  ({summary})")

    config.out_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": info,
        "config": {k: str(v) for k, v in asdict(config).items()},
        "timings": timings,
        "results": [asdict(r) for r in results],
    }
    (config.out_dir / "results.json").write_text(json.dumps(payload, indent=2))
    (config.out_dir / "results.md").write_text(markdown(results) + "\n")
    log(f"results written to {config.out_dir}/results.json and results.md")


if __name__ == "__main__":
    main()
