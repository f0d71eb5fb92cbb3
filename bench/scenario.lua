-- wrk script for every load scenario of bench/run: BENCH_SCENARIO picks the
-- request each connection sends next, and done() prints one JSON line
-- ("BENCH_JSON {...}") with throughput, latency percentiles and errors.
--
-- Inputs (environment): BENCH_SCENARIO, BENCH_DIR (the seeder's output:
-- access.txt, refresh.txt, session.txt, scopes.txt), BENCH_CLIENT_ID,
-- BENCH_CLIENT_SECRET, BENCH_REDIRECT_URI, BENCH_EMAIL, BENCH_PASSWORD,
-- BENCH_THREADS, BENCH_FLAVOR (whose paths: "gatehouse", the default, or a
-- peer of bench/run --peers such as "node-oidc").
--
-- Single-use credentials (refresh tokens, codes) are never shared between
-- threads: each thread takes every BENCH_THREADS-th refresh token, and keeps
-- its own queue of codes that only its connections redeem; BENCH_SKIP
-- passes over the refresh tokens that earlier runs spent, and done() reports
-- how many each thread took ("refresh_taken": the most any thread took).

local scenario = os.getenv("BENCH_SCENARIO")
local dir = os.getenv("BENCH_DIR") or "."
local client_id = os.getenv("BENCH_CLIENT_ID") or ""
local client_secret = os.getenv("BENCH_CLIENT_SECRET") or ""
local redirect_uri = os.getenv("BENCH_REDIRECT_URI") or ""
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local ua = "gatehouse-bench/1 (wrk)"

-- Where each server answers the same requests. cookie: the session cookie's
-- name, or false when session.txt holds the whole Cookie header;
-- refresh_basic: whether a refresh request authenticates the client (the
-- provider requires it of a confidential client; Gatehouse's seed sends none).
local flavors = {
  gatehouse = {
    token = "/oauth/token", authorize = "/oauth/authorize", introspect = "/oauth/introspect",
    user = "/api/v5/user", metadata = "/.well-known/oauth-authorization-server", health = "/healthz",
    cookie = "gatehouse_session", refresh_basic = false,
  },
  ["node-oidc"] = {
    token = "/token", authorize = "/auth", introspect = "/token/introspection",
    user = "/me", metadata = "/.well-known/openid-configuration",
    cookie = false, refresh_basic = true,
  },
}
local paths = flavors[os.getenv("BENCH_FLAVOR") or "gatehouse"]

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function b64(data)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((data:gsub(".", function(x)
    local r, byte = "", x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

-- Refresh tokens that earlier runs against the same database already spent.
local skip = tonumber(os.getenv("BENCH_SKIP") or "0")

local function lines(name, every, offset, first)
  local out, i = {}, 0 - (first or 0)
  local f = io.open(dir .. "/" .. name, "r")
  if not f then return out end
  for line in f:lines() do
    if line ~= "" then
      if i >= 0 and i % every == offset then out[#out + 1] = line end
      i = i + 1
    end
  end
  f:close()
  return out
end

local function read1(name)
  local l = lines(name, 1, 0)
  return l[1] or ""
end

local basic = "Basic " .. b64(urlencode(client_id) .. ":" .. urlencode(client_secret))
local form = "application/x-www-form-urlencoded"
local refresh_headers = { ["Content-Type"] = form, ["User-Agent"] = ua }
if paths.refresh_basic then refresh_headers["Authorization"] = basic end

-- main thread: number the threads, keep them for done()
local threads = {}
local counter = 0
function setup(thread)
  thread:set("thread_no", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

-- "code_openid" is the code flow of an application registered for openid:
-- each exchange also signs an ID token, and a 200 without one is an error
-- (errors_no_id_token), not a round trip.
code_flow = scenario == "code" or scenario == "code_openid"
local wants_id_token = scenario == "code_openid"

-- per-thread state
local tokens, next_i, codes = {}, 0, {}
completed = 0 -- successful code exchanges (scenario "code"), read by done()
no_id_token = 0 -- code_openid exchanges answered 200 without an id_token
exhausted = 0 -- refresh requests that found no unused token left
refresh_taken = 0 -- refresh tokens this thread sent (spent, or in flight at the end)

function init(args)
  local no = thread_no or 0
  if scenario == "bearer" or scenario == "introspect" then
    tokens = lines("access.txt", 1, 0)
  elseif scenario == "refresh" then
    tokens = lines("refresh.txt", threads_total, no, skip)
  end
  if code_flow then
    local scopes = urlencode(read1("scopes.txt"))
    local cookie = read1("session.txt")
    if paths.cookie then cookie = paths.cookie .. "=" .. cookie end
    authorize_req = wrk.format("GET",
      paths.authorize .. "?response_type=code&client_id=" .. urlencode(client_id) ..
      "&redirect_uri=" .. urlencode(redirect_uri) .. "&scope=" .. scopes .. "&state=bench",
      { ["Cookie"] = cookie, ["User-Agent"] = ua })
  end
  if scenario == "client_credentials" then
    static_req = wrk.format("POST", paths.token,
      { ["Authorization"] = basic, ["Content-Type"] = form, ["User-Agent"] = ua },
      "grant_type=client_credentials")
  elseif scenario == "password" then
    static_req = wrk.format("POST", paths.token,
      { ["Content-Type"] = form, ["User-Agent"] = ua },
      "grant_type=password&username=" .. urlencode(os.getenv("BENCH_EMAIL") or "") ..
      "&password=" .. urlencode(os.getenv("BENCH_PASSWORD") or "") ..
      "&client_id=" .. urlencode(client_id) .. "&client_secret=" .. urlencode(client_secret) ..
      "&scope=user_info")
  elseif scenario == "health" then
    static_req = wrk.format("GET", paths.health, { ["User-Agent"] = ua })
  elseif scenario == "metadata" then
    static_req = wrk.format("GET", paths.metadata, { ["User-Agent"] = ua })
  end
end

function request()
  if static_req then return static_req end
  if scenario == "bearer" then
    next_i = next_i % #tokens + 1
    return wrk.format("GET", paths.user,
      { ["Authorization"] = "Bearer " .. tokens[next_i], ["User-Agent"] = ua })
  elseif scenario == "introspect" then
    next_i = next_i % #tokens + 1
    return wrk.format("POST", paths.introspect,
      { ["Authorization"] = basic, ["Content-Type"] = form, ["User-Agent"] = ua },
      "token=" .. tokens[next_i] .. "&token_type_hint=access_token")
  elseif scenario == "refresh" then
    next_i = next_i + 1
    local t = tokens[next_i]
    if t then refresh_taken = next_i else exhausted = exhausted + 1; t = "grt_exhausted" end
    return wrk.format("POST", paths.token, refresh_headers, "grant_type=refresh_token&refresh_token=" .. t)
  elseif code_flow then
    local code = table.remove(codes)
    if code then
      return wrk.format("POST", paths.token,
        { ["Authorization"] = basic, ["Content-Type"] = form, ["User-Agent"] = ua },
        "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. urlencode(redirect_uri))
    end
    return authorize_req
  end
end

if code_flow then
  function response(status, headers, body)
    if status == 302 or status == 303 then -- node-oidc-provider answers 303
      local location = headers["Location"] or headers["location"] or ""
      local code = location:match("[?&]code=([^&]+)")
      if code then codes[#codes + 1] = code end
    elseif status == 200 then
      if wants_id_token and not body:find('"id_token"', 1, true) then
        no_id_token = no_id_token + 1
      else
        completed = completed + 1
      end
    end
  end
end

function done(summary, latency, requests)
  local done_total, exhausted_total, taken_max, no_id_token_total = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    done_total = done_total + (tonumber(t:get("completed")) or 0)
    no_id_token_total = no_id_token_total + (tonumber(t:get("no_id_token")) or 0)
    exhausted_total = exhausted_total + (tonumber(t:get("exhausted")) or 0)
    taken_max = math.max(taken_max, tonumber(t:get("refresh_taken")) or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"errors_no_id_token":%d,"completed":%d,"exhausted":%d,"refresh_taken":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, no_id_token_total, done_total, exhausted_total, taken_max))
end
