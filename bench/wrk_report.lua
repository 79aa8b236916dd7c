-- wrk script for bench/request_status.py: counts responses that are not 200 or that lack
-- a marker string (args after "--"), and prints one JSON line with exact percentiles.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  marker = args[1]
  if marker == "" then marker = nil end
  non200 = 0
  missing = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif marker and not string.find(body, marker, 1, true) then
    missing = missing + 1
  end
end

function done(summary, latency, requests)
  local bad_status, bad_body = 0, 0
  for _, thread in ipairs(threads) do
    bad_status = bad_status + thread:get("non200")
    bad_body = bad_body + thread:get("missing")
  end
  local e = summary.errors
  local function us(p) return math.floor(latency:percentile(p)) end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "non200": %d, ' ..
    '"missing_marker": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %d, ' ..
    '"max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, bad_status, bad_body, us(50), us(90), us(99), math.floor(latency.mean),
    latency.max))
end
