-- bench/wrk/put_if_match.lua: wrk drives conditional PUTs at one sessiond
-- session (scripts/compare runs it; scripts/bench-sessiond-wrk too).
--
-- Environment:
--   MODE=star  every PUT sends If-Match: * (no conflicts: raw write rate)
--   MODE=etag  every PUT sends If-Match: <the newest ETag this wrk thread has
--              seen, from a 200 or a 412>, so connections race like real
--              read-modify-write clients and losers get 412
--   SESSIOND_AUTH  Authorization header value (from sessionctl token)
--
-- Each request sets properties.custom.n to a per-thread counter, so every
-- accepted write is a real change. done() prints one line of counts by
-- status; "writes" are 200s.

local mode = os.getenv("MODE") or "star"
local auth = os.getenv("SESSIOND_AUTH")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  etag = nil
  ok = 0
  conflicts = 0
  other = 0
end

function request()
  counter = counter + 1
  -- wrk.format uses these headers instead of wrk.headers, so set them all.
  local headers = {
    ["Host"] = wrk.headers["Host"],
    ["x-xbl-contract-version"] = "107",
    ["Content-Type"] = "application/json; charset=utf-8",
    ["If-Match"] = (mode == "etag" and etag) or "*",
  }
  if auth then
    headers["Authorization"] = auth
  end
  return wrk.format("PUT", nil, headers, '{"properties":{"custom":{"n":' .. counter .. '}}}')
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 412 then
    conflicts = conflicts + 1
  else
    other = other + 1
  end
  local e = headers["ETag"] or headers["etag"]
  if e then
    etag = e
  end
end

function done(summary, latency, requests)
  local total_ok, total_conflicts, total_other = 0, 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_conflicts = total_conflicts + t:get("conflicts")
    total_other = total_other + t:get("other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT mode=%s writes_ok=%d conflicts_412=%d other=%d errors=%d duration_s=%.2f " ..
    "requests=%d writes_per_s=%.0f requests_per_s=%.0f p50_ms=%.3f p99_ms=%.3f\n",
    mode, total_ok, total_conflicts, total_other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    seconds, summary.requests, total_ok / seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
