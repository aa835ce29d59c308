-- bench/wrk/create_sessions.lua: wrk fills sessions of 8 members on one
-- sessiond (scripts/compare's sessiond memory row). Run it with one wrk
-- thread (-t1): the request counter is per thread.
--
-- Request n joins user kBaseXuid + n to session "s<n / 8>" as "me", with
-- two member custom properties; the first join of a session creates it (no
-- precondition: create or update) and every join repeats the same session
-- constants and custom properties, which sessiond accepts unchanged.
-- sessiond must run with --auth none: the Authorization xuid is trusted
-- without a token check (wrk cannot mint dev tokens).
--
-- Environment:
--   COUNT  sessions to fill (default 1000)
--
-- A session is full when a join's answer shows 8 members. wrk cannot end a
-- run early (its main thread sleeps for -d), so once COUNT sessions are
-- full the script prints "FILLED" (flushed) and the caller interrupts wrk
-- (SIGINT), which then prints the usual summary. Until then it keeps
-- joining: wrk consumes one request() call to check the script (so "s0"
-- misses one member), and the joins in flight at the interrupt start a few
-- more sessions; the caller counts sessions and members on the server.
-- After 100 answers other than 200/201 it prints "FAILING" instead.
-- done() prints one line:
--   RESULT filled=N joins=N other=N errors=N duration_s=S

local count = tonumber(os.getenv("COUNT") or "1000")
local threads = {}
local kBaseXuid = 2533274790600000
local kMembers = 8

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  filled = 0
  joins = 0
  other = 0
end

local function body(n)
  return string.format(
    '{"constants":{"system":{"maxMembersCount":%d,"visibility":"open"}},' ..
    '"properties":{"custom":{"map":"dunes","mode":"ctf"}},' ..
    '"members":{"me":{"constants":{"system":{"initialize":false}},' ..
    '"properties":{"system":{"active":true},"custom":{"skill":%d,"team":"red"}}}}}',
    kMembers, 1000 + n % 1000)
end

function request()
  local n = sent
  sent = sent + 1
  local headers = {
    ["Host"] = wrk.headers["Host"],
    ["x-xbl-contract-version"] = "107",
    ["Content-Type"] = "application/json; charset=utf-8",
    ["Authorization"] = string.format("XBL3.0 x=%d;compare", kBaseXuid + n),
  }
  local path = "/serviceconfigs/compare/sessionTemplates/rss/sessions/s" ..
               math.floor(n / kMembers)
  return wrk.format("PUT", path, headers, body(n))
end

-- membersInfo's keys are sorted: "accepted", "active", "count", ...
local kFull = string.format('"count":%d,', kMembers)

function response(status, headers, body)
  if status == 200 or status == 201 then
    joins = joins + 1
    if string.find(body, kFull, 1, true) then
      filled = filled + 1
      if filled == count then
        io.write("FILLED\n")
        io.stdout:flush()
      end
    end
  else
    other = other + 1
    if other == 100 then
      io.write("FAILING\n")  -- e.g. 503 past --max-sessions: the caller stops
      io.stdout:flush()
    end
  end
end

function done(summary, latency, requests)
  local total = {filled = 0, joins = 0, other = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(total) do
      total[k] = total[k] + t:get(k)
    end
  end
  io.write(string.format("RESULT filled=%d joins=%d other=%d errors=%d duration_s=%.2f\n",
    total.filled, total.joins, total.other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
