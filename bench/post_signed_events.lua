-- wrk script: POST provider webhook events read from a file, in its order, one per request.
-- Arguments (after `--`): path, signature header name, events file. Each line of the file is
-- "<signature>\t<raw body>" (the benchmark signs the bodies; duplicates are repeated lines).
-- At the end of the file it starts again (counted in x_wrapped: then every event repeats).
-- done() prints one JSON line that bench/httpbench.py reads.

local threads = {}
local events = {}
local next_event = 1
wrapped = 0
local path, header

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path, header = args[1], args[2]
  for line in io.lines(args[3]) do
    local tab = line:find("\t", 1, true)
    table.insert(events, { line:sub(1, tab - 1), line:sub(tab + 1) })
  end
end

function request()
  if next_event > #events then
    next_event = 1
    wrapped = wrapped + 1
  end
  local event = events[next_event]
  next_event = next_event + 1
  local headers = { ["Content-Type"] = "application/json", [header] = event[1] }
  return wrk.format("POST", path, headers, event[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"p50_us":%d,"p99_us":%d,"x_wrapped":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), wraps))
end
