-- wrk script: POST one JSON body over and over, each request with its own Idempotency-Key.
-- Arguments (after `--`): path, Authorization header value ("" for none), body, run id (keys
-- are "<run id>-<thread>-<counter>").
-- done() prints one JSON line that bench/httpbench.py reads.

local threads = {}
local counter = 0
local path, auth, body, prefix

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  path, auth, body = args[1], args[2], args[3]
  prefix = args[4] .. "-" .. tostring(tid)
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. "-" .. counter,
  }
  if auth ~= "" then
    headers["Authorization"] = auth
  end
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
