-- wrk script for bench/overload.sh: a POST (the reveal endpoint) with the CSRF cookie and
-- header a browser sends, and a count of status codes so the report can tell 200 from 503.
local token = os.getenv("CSRF_TOKEN") or ""
local method = os.getenv("LOAD_METHOD") or "GET"
wrk.method = method
if method == "POST" then
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "csrftoken=" .. token
  wrk.headers["X-CSRFToken"] = token
  wrk.body = ""
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, status .. "=" .. n) end
  table.sort(parts)
  io.write(string.format("RESULT requests=%d timeouts=%d connect_errors=%d read_errors=%d max_ms=%.0f p50_ms=%.0f p99_ms=%.0f statuses=%s\n",
    summary.requests, summary.errors.timeout, summary.errors.connect, summary.errors.read,
    latency.max / 1000, latency:percentile(50) / 1000, latency:percentile(99) / 1000, table.concat(parts, ",")))
end
