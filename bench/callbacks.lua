-- wrk script for bench/load.sh: sends the pre-generated callbacks of
-- PMC_REQUESTS (one `PATH?QUERY<TAB>BODY` per line), each thread its own
-- share so that no two requests are the same callback, and prints one
-- `RESULT {json}` line with throughput, errors and latency percentiles.
-- PMC_DELAY_MS > 0 paces each connection (fixed-rate runs).

local threads = {}
local thread_count = tonumber(os.getenv("PMC_THREADS") or "2")
local delay_ms = tonumber(os.getenv("PMC_DELAY_MS") or "0")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local n = 0
  for line in io.lines(os.getenv("PMC_REQUESTS")) do
    if n % thread_count == id then
      local path, body = line:match("^([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "text/xml" }, body)
    end
    n = n + 1
  end
  index = 0
  wrapped = 0
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
    wrapped = wrapped + 1
  end
  return requests[index]
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, _)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"wraps":%d}\n',
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, wraps))
end
