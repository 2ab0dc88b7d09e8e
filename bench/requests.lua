-- wrk script for bench/run.py: cycles through prepared requests, one per line of the file
-- named by BENCH_REQUESTS: method, path, cookie, CSRF token, body (tab-separated; empty = none).
-- Thread i of BENCH_THREADS takes lines i, i+n, i+2n, ... so that no two threads send the
-- same single-use check token; done() prints the summary as one JSON line.
-- BENCH_COLD=1 adds X-Bench-Cold: 1 to every request (bench/middleware.py empties the
-- content cache before the request: the cold-cache rows). BENCH_START=k starts each thread at
-- its k-th line: a row measured in slices goes on where its last slice stopped, so a single-use
-- token is never sent twice.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local lines = {}
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    lines[#lines + 1] = line
  end
  -- Fewer lines than threads (the single bare URL): every thread sends all of them.
  local share = #lines >= nthreads
  local cold = os.getenv("BENCH_COLD") == "1"
  requests = {}
  for n, line in ipairs(lines) do
    if not share or (n - 1) % nthreads == id then
      local method, path, cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if cookie ~= "" then headers["Cookie"] = cookie end
      if cold then headers["X-Bench-Cold"] = "1" end
      if csrf ~= "" then
        -- What htmx sends with a check's form: the CSRF header and HX-Request.
        headers["X-CSRFToken"] = csrf
        headers["HX-Request"] = "true"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      if body == "" then body = nil end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  index = 0
  if #requests > 0 then index = (tonumber(os.getenv("BENCH_START") or "0") or 0) % #requests end
  wraps = 0
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
    wraps = wraps + 1
  end
  return requests[index]
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + (thread:get("wraps") or 0)
  end
  local e = summary.errors
  -- The latency at 1,000 evenly spaced quantiles (each 0.1% of the requests): bench/run.py
  -- merges a row's slices into one distribution from them, weighted by each slice's requests.
  local quantiles = {}
  for k = 0, 999 do
    quantiles[#quantiles + 1] = string.format("%d", latency:percentile((k + 0.5) / 10))
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "wraps": %d, "quantiles_us": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
    wrapped, table.concat(quantiles, ",")))
end
