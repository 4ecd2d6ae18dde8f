--[[ llm.lua - language-model calls for a run: OpenAI-compatible and
Anthropic over HTTP, token budgets, retries, recording and exact replay.

  local llm = require("llm")
  local client, err = llm.new("openai:gpt-4o-mini", host [, opts])
  local reply, msg, kind = client:chat{ messages = {...}, system = "...",
                                        max_tokens = 512, temperature = 0,
                                        stop = {"\nObservation:"} }
  -- reply = { text = "...", usage = { prompt = n, completion = n } }
  -- kind  = "budget" | "auth" | "rate_limit" | "server" | "timeout"
  --       | "bad_reply" | "bad_request" | "none"

Specs: openai:MODEL[@URL], anthropic:MODEL[@URL], replay:RUN_OR_FILE, none.

`host` is what the run glue passes in, so this module needs no run:
  post(url, headers, body, opts)  -> status, body, info | nil, msg, kind
        mlab.http.post: info = {retry_after, content_type, elapsed};
        kind "timeout" | "connect" | "error"; may raise the budget table
  sleep(seconds)                  backoff wait (mlab.http.sleep); may raise
  now()                           monotonic seconds (mlab.http.now)
  record(line)                    appends the table as one JSON line to
        llm.jsonl, durably (llm.encode gives the bytes); true | nil, msg
  tokens_allow(n)                 true | nil, msg  (budget_tokens_allow)
  tokens_add(n)                   counts provider usage (budget_tokens_add)
  getenv(name)                    API keys and MLAB_LLM_* defaults
Optional:
  guard(fn, ...)                  runs each call (host.critical in a run)
  time_left()                     seconds the run has left: no retry at 0
  random()                        [0, 1) for jitter (default math.random)
  step()                          current step number, named in records
  read_file(path)                 text | nil, msg   (replay: only)
  runs_dir                        where replay:RUN finds RUN/llm.jsonl

`opts` (or MLAB_LLM_* environment variables) override the defaults in
llm.defaults.  No key, Authorization or x-api-key header is ever put in a
record or an error message: records hold the normalised request, not the
wire headers, and every string in them passes through the redactor.
]]

local cjson = require("cjson")
local providers = {
  openai = require("llm_openai"),
  anthropic = require("llm_anthropic"),
}

local M = {}

M.defaults = {
  max_tries = 4,         -- MLAB_LLM_MAX_TRIES: attempts per call
  timeout = 120,         -- MLAB_LLM_TIMEOUT: seconds per attempt
  connect_timeout = 10,  -- MLAB_LLM_CONNECT_TIMEOUT
  backoff = 1,           -- MLAB_LLM_BACKOFF: first retry delay, seconds
  backoff_max = 30,      -- MLAB_LLM_BACKOFF_MAX
  max_retry_after = 120, -- MLAB_LLM_MAX_RETRY_AFTER: longer waits give up
  max_tokens = 1024,     -- MLAB_LLM_MAX_TOKENS: per call when not given
}

---------------------------------------------------------------------------
-- Canonical JSON: sorted keys, stable numbers.  Records and replay
-- comparison must not depend on table iteration order.

local function is_array(t)
  local n = #t
  if n == 0 then
    return next(t) == nil and cjson.array_mt ~= nil
      and getmetatable(t) == cjson.array_mt
  end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      return false
    end
    count = count + 1
  end
  return count == n
end

local function number(v)
  if math.type(v) == "integer" then
    return string.format("%d", v)
  end
  if v ~= v or v == math.huge or v == -math.huge then
    error("llm.encode: cannot encode " .. tostring(v))
  end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return string.format("%d", math.tointeger(v))
  end
  local s = string.format("%.14g", v)
  if tonumber(s) ~= v then
    s = string.format("%.17g", v)
  end
  return s
end

-- cjson escapes every '/' as "\/"; URLs read better without.  Safe: a
-- backslash before '/' in the output is always the one cjson added.
local function json_string(s)
  return (cjson.encode(s):gsub("\\/", "/"))
end

local encode_value

local function encode_table(t, out)
  if is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then
        out[#out + 1] = ","
      end
      encode_value(t[i], out)
    end
    out[#out + 1] = "]"
    return
  end
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then
      error("llm.encode: object key " .. tostring(k) .. " is not a string")
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then
      out[#out + 1] = ","
    end
    out[#out + 1] = json_string(k)
    out[#out + 1] = ":"
    encode_value(t[k], out)
  end
  out[#out + 1] = "}"
end

encode_value = function(v, out)
  local ty = type(v)
  if v == nil or v == cjson.null then
    out[#out + 1] = "null"
  elseif ty == "boolean" then
    out[#out + 1] = tostring(v)
  elseif ty == "number" then
    out[#out + 1] = number(v)
  elseif ty == "string" then
    out[#out + 1] = json_string(v)
  elseif ty == "table" then
    encode_table(v, out)
  else
    error("llm.encode: cannot encode a " .. ty)
  end
end

function M.encode(v)
  local out = {}
  encode_value(v, out)
  return table.concat(out)
end

---------------------------------------------------------------------------
-- Specs

local function strip_url(url)
  -- user:password@ and ?query can hold secrets; neither is needed to say
  -- which endpoint a run used.
  url = url:gsub("^(%a[%w+.-]*://)[^/@]*@", "%1")
  return (url:gsub("[?#].*$", ""))
end

-- { provider, model, url } | { provider = "replay", source } |
-- { provider = "none" } ; or nil, msg
function M.parse_spec(spec)
  if type(spec) ~= "string" or spec == "" or spec == "none" then
    return { provider = "none" }
  end
  local provider, rest = spec:match("^(%a+):(.*)$")
  if not provider then
    return nil, "bad --llm spec '" .. spec .. "': expected openai:MODEL"
      .. "[@URL], anthropic:MODEL[@URL], replay:RUN_OR_FILE or none"
  end
  if provider == "replay" then
    if rest == "" then
      return nil, "bad --llm spec '" .. spec .. "': replay needs a run or file"
    end
    return { provider = "replay", source = rest }
  end
  if not providers[provider] then
    return nil, "bad --llm spec '" .. spec .. "': unknown provider '"
      .. provider .. "' (openai, anthropic, replay, none)"
  end
  -- Model names may hold ':' and '@' (Ollama's "llama3:8b"); the URL is
  -- what follows the last "@http".
  local model, url = rest:match("^(.-)@(https?://.+)$")
  model = model or rest
  if model == "" then
    return nil, "bad --llm spec '" .. spec .. "': no model name"
  end
  return { provider = provider, model = model, url = url }
end

-- The spec as it may be written to run.json: no credentials in the URL.
function M.public_spec(spec)
  local s = M.parse_spec(spec)
  if s and s.url then
    return s.provider .. ":" .. s.model .. "@" .. strip_url(s.url)
  end
  return spec
end

---------------------------------------------------------------------------
-- Redaction

-- Replaces each secret (plain text) and anything shaped like a key or a
-- bearer token.  Applied to error messages and provider bodies quoted in
-- them; `loose` = false keeps to the exact secrets (for reply text, where
-- "sk-..." may be innocent).
function M.redact(text, secrets, loose)
  if type(text) ~= "string" then
    return text
  end
  for _, s in ipairs(secrets or {}) do
    if s ~= "" then
      local i = 1
      while true do
        local a, b = text:find(s, i, true)
        if not a then
          break
        end
        text = text:sub(1, a - 1) .. "[REDACTED]" .. text:sub(b + 1)
        i = a + #"[REDACTED]"
      end
    end
  end
  if loose ~= false then
    text = text:gsub("sk%-[%w_%-]+", function(k)
      if #k >= 12 then
        return "sk-[REDACTED]"
      end
    end)
    text = text:gsub("([Bb]earer%s+)[^%s\"',]+", "%1[REDACTED]")
  end
  return text
end

local function redact_deep(v, secrets)
  if type(v) == "string" then
    return M.redact(v, secrets, false)
  elseif type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do
      t[k] = redact_deep(x, secrets)
    end
    return setmetatable(t, getmetatable(v))
  end
  return v
end

---------------------------------------------------------------------------
-- Requests and budgets

-- A check at the door: misuse by the agent's author raises (STYLE.md).
local function normalise(req, cfg)
  if type(req) ~= "table" then
    error("llm:chat expects a table { messages = {...}, ... }", 3)
  end
  if type(req.messages) ~= "table" or #req.messages == 0 then
    error("llm:chat: messages must be a non-empty list", 3)
  end
  local messages = {}
  for i, m in ipairs(req.messages) do
    if type(m) ~= "table" or type(m.role) ~= "string"
        or type(m.content) ~= "string" then
      error("llm:chat: messages[" .. i .. "] needs string role and content",
        3)
    end
    messages[i] = { role = m.role, content = m.content }
  end
  if req.system ~= nil and type(req.system) ~= "string" then
    error("llm:chat: system must be a string", 3)
  end
  local max_tokens = req.max_tokens or cfg.max_tokens
  if math.type(max_tokens) ~= "integer" and not (type(max_tokens) == "number"
      and max_tokens == math.floor(max_tokens)) or max_tokens < 1 then
    error("llm:chat: max_tokens must be a positive integer", 3)
  end
  if req.temperature ~= nil and type(req.temperature) ~= "number" then
    error("llm:chat: temperature must be a number", 3)
  end
  local stop
  if req.stop ~= nil then
    if type(req.stop) == "string" then
      stop = { req.stop }
    elseif type(req.stop) == "table" then
      stop = {}
      for i, s in ipairs(req.stop) do
        if type(s) ~= "string" then
          error("llm:chat: stop[" .. i .. "] must be a string", 3)
        end
        stop[i] = s
      end
      if #stop == 0 then
        stop = nil
      end
    else
      error("llm:chat: stop must be a string or a list of strings", 3)
    end
  end
  return {
    messages = messages,
    system = req.system,
    max_tokens = math.tointeger(max_tokens),
    temperature = req.temperature,
    stop = stop,
  }
end

local function ceil_div(n, d)
  return (n + d - 1) // d
end

-- Tokens of a text, for budgets only: about four bytes a token.  Real
-- tokenisers vary; usage from the provider replaces this after the call.
function M.estimate_text(text)
  return ceil_div(#text, 4)
end

-- Prompt tokens of a normalised request: text plus a few tokens of
-- framing per message, as chat formats add role markers.
function M.estimate_prompt(req)
  local n = 3
  if req.system then
    n = n + M.estimate_text(req.system) + 4
  end
  for _, m in ipairs(req.messages) do
    n = n + M.estimate_text(m.content) + 4
  end
  return n
end

-- What a call may cost at most: the prompt plus every token it may write.
function M.estimate_call(req)
  return M.estimate_prompt(req) + req.max_tokens
end

-- Seconds before retry number `try` (1 = first retry): exponential, with
-- "equal jitter" (half fixed, half random) so clients that failed together
-- do not return together; never less than the server's Retry-After.
function M.backoff(try, retry_after, cfg, r)
  local d = math.min(cfg.backoff_max, cfg.backoff * 2 ^ (try - 1))
  d = d / 2 + d / 2 * r
  if retry_after and retry_after > d then
    d = retry_after
  end
  return d
end

---------------------------------------------------------------------------
-- Replies

local function snippet(s)
  s = tostring(s or ""):gsub("%s+", " ")
  if #s > 200 then
    s = s:sub(1, 200) .. "..."
  end
  return s
end

-- One attempt's outcome: { text, usage } or { kind, message, retry,
-- retry_after, status }.
local function classify(p, where, status, body, info)
  if not status then -- no reply: body is the message, info the http kind
    return { kind = info == "timeout" and "timeout" or "server",
             message = body, retry = info ~= "error" }
  end
  local doc
  local ctype = info.content_type or ""
  if ctype:find("json", 1, true) then
    local ok, d = pcall(cjson.decode, body)
    doc = ok and type(d) == "table" and d or nil
  end
  if status >= 200 and status < 300 then
    if not ctype:find("json", 1, true) then
      return { kind = "bad_reply", status = status,
               message = "reply from " .. where .. " has content type '"
                 .. ctype .. "', not JSON: " .. snippet(body) }
    end
    if not doc then
      return { kind = "bad_reply", status = status,
               message = "reply from " .. where .. " is not valid JSON: "
                 .. snippet(body) }
    end
    local text, usage = p.parse(doc)
    if not text then
      return { kind = "bad_reply", status = status,
               message = "reply from " .. where .. ": " .. usage }
    end
    return { text = text, usage = usage, status = status }
  end
  local said = p.error_message(doc) or snippet(body)
  local out = { status = status, retry_after = info.retry_after }
  if status == 401 or status == 403 then
    out.kind = "auth"
  elseif status == 429 then
    out.kind, out.retry = "rate_limit", true
  elseif status == 408 then
    out.kind, out.retry = "timeout", true
  elseif status >= 500 then
    out.kind, out.retry = "server", true
  else
    out.kind = "bad_request"
  end
  out.message = string.format("%s: HTTP %d from %s: %s", out.kind, status,
    where, said)
  return out
end

---------------------------------------------------------------------------
-- Clients

-- Seconds rounded to milliseconds: records stay readable.
local function ms(s)
  return math.floor(s * 1000 + 0.5) / 1000
end

local function config(host, opts)
  local cfg = {}
  for k, v in pairs(M.defaults) do
    local env = host.getenv and host.getenv("MLAB_LLM_" .. k:upper())
    cfg[k] = (opts and opts[k]) or tonumber(env or "") or v
  end
  cfg.max_tries = math.max(1, math.floor(cfg.max_tries))
  return cfg
end

-- Hides state from agents: the object has no fields but its methods, so
-- an agent cannot reach host.post or host.tokens_add through it.  With
-- host.guard, each call runs inside it (the run's host.critical: the
-- deadline hook held off so the call is recorded whole; HTTP and sleeps
-- stay bounded by the time left in C).
local function object(host, chat, provider, model)
  local guard = host.guard
  local methods = {
    chat = function(_, req)
      if guard then
        return guard(chat, req)
      end
      return chat(req)
    end,
    provider = provider,
    model = model,
  }
  return setmetatable({}, {
    __index = methods,
    __newindex = function()
      error("the llm client is read-only", 2)
    end,
    __metatable = false,
  })
end

local function recorder(host, secrets)
  return function(line)
    local ok, err = host.record(redact_deep(line, secrets))
    if not ok then
      error("llm: cannot record the call: " .. tostring(err), 0)
    end
  end
end

local function new_http(spec, host, cfg)
  local p = providers[spec.provider]
  local key = host.getenv(p.key_env)
  if key == "" then
    key = nil
  end
  local base = spec.url or host.getenv(p.base_env) or p.default_base
  local url = p.url(base)
  local where = strip_url(url)
  if not spec.url and not key and base == p.default_base then
    return nil, p.key_env .. " is not set (needed for " .. where .. ")"
  end
  local secrets = { key }
  local record = recorder(host, secrets)
  local random = host.random or math.random
  local calls = 0

  local function finish(line, t0, out)
    line.latency_s = ms(host.now() - t0)
    record(line)
    if out.text then
      return { text = out.text, usage = out.usage }
    end
    return nil, out.message, out.kind
  end

  local function chat(req)
    local r = normalise(req, cfg)
    calls = calls + 1
    local t0 = host.now()
    local line = { call = calls, step = host.step and host.step() or nil,
                   provider = p.name, model = spec.model, url = where,
                   request = r, tries = 0, retries = 0, attempts = {} }
    local need = M.estimate_call(r)
    local ok, why = host.tokens_allow(need)
    if not ok then
      local msg = "budget: this call may need " .. need .. " tokens ("
        .. M.estimate_prompt(r) .. " prompt + " .. r.max_tokens
        .. " max_tokens), more than the budget has left: " .. tostring(why)
      line.error = { kind = "budget", message = msg }
      return finish(line, t0, { kind = "budget", message = msg })
    end
    local body = M.encode(p.body(spec.model, r))
    local headers = p.headers(key)
    local out
    for try = 1, cfg.max_tries do
      line.tries = try
      local a0 = host.now()
      local okp, status, rbody, info = pcall(host.post, url, headers, body,
        { timeout = cfg.timeout, connect_timeout = cfg.connect_timeout })
      if not okp then -- the run's time budget raised: record, re-raise
        line.error = { kind = "budget", message = tostring(
          type(status) == "table" and status.msg or status) }
        line.latency_s = ms(host.now() - t0)
        record(line)
        error(status, 0)
      end
      out = classify(p, where, status, rbody, info)
      out.message = out.message and M.redact(out.message, secrets)
      line.attempts[try] = { status = out.status, kind = out.kind,
                             latency_s = ms(host.now() - a0),
                             retry_after = out.retry_after }
      if out.text or not out.retry then
        break
      end
      if host.time_left and host.time_left() <= 0 then
        out.kind = "budget"
        out.message = "budget: the run's time is spent (" .. out.message .. ")"
        break
      end
      if try == cfg.max_tries then
        break
      end
      if out.retry_after and out.retry_after > cfg.max_retry_after then
        out.message = out.message .. string.format(" (Retry-After %g s is"
          .. " longer than MLAB_LLM_MAX_RETRY_AFTER)", out.retry_after)
        break
      end
      local okS, e = pcall(host.sleep,
        M.backoff(try, out.retry_after, cfg, random()))
      if not okS then
        line.error = { kind = "budget", message = tostring(
          type(e) == "table" and e.msg or e) }
        line.latency_s = ms(host.now() - t0)
        record(line)
        error(e, 0)
      end
    end
    line.retries = line.tries - 1
    if not out.text then
      if line.tries > 1 then
        out.message = out.message .. " (after " .. line.tries .. " tries)"
      end
      line.error = { kind = out.kind, message = out.message,
                     status = out.status }
      return finish(line, t0, out)
    end
    out.text = M.redact(out.text, secrets, false)
    if not out.usage then -- a reply without usage still costs tokens
      out.usage = { prompt = M.estimate_prompt(r),
                    completion = M.estimate_text(out.text),
                    estimated = true }
    end
    host.tokens_add(out.usage.prompt + out.usage.completion)
    line.reply = out.text
    line.usage = out.usage
    return finish(line, t0, out)
  end
  return object(host, chat, p.name, spec.model)
end

local function new_none(host)
  local record = recorder(host, {})
  local calls = 0
  local msg = "no language model: this run uses --llm none"
  return object(host, function(req)
    local r = normalise(req, M.defaults)
    calls = calls + 1
    record({ call = calls, step = host.step and host.step() or nil,
             provider = "none", request = r,
             error = { kind = "none", message = msg } })
    return nil, msg, "none"
  end, "none", nil)
end

---------------------------------------------------------------------------
-- Replay

local function load_recording(source, host)
  if not host.read_file then
    return nil, "replay needs host.read_file"
  end
  local tried = { source, source .. "/llm.jsonl" }
  if host.runs_dir then
    tried[3] = host.runs_dir .. "/" .. source .. "/llm.jsonl"
  end
  for _, path in ipairs(tried) do
    local text = host.read_file(path)
    if text then
      local lines = {}
      local n = 0
      for l in text:gmatch("[^\n]+") do
        n = n + 1
        local ok, rec = pcall(cjson.decode, l)
        if not ok or type(rec) ~= "table" or type(rec.request) ~= "table" then
          return nil, path .. ":" .. n .. ": not a recorded call"
        end
        lines[#lines + 1] = rec
      end
      return lines, path
    end
  end
  return nil, "replay: no recording at " .. table.concat(tried, " or ")
end

-- Where two encodings first differ, with a little context, so a reader
-- sees the divergence without diffing two long lines by eye.
local function first_difference(a, b)
  local i = 1
  while i <= #a and a:sub(i, i) == b:sub(i, i) do
    i = i + 1
  end
  local from = math.max(1, i - 40)
  return string.format("first difference at byte %d:\n  recorded: ...%s\n"
    .. "  now:      ...%s", i, a:sub(from, i + 40), b:sub(from, i + 40))
end

local function new_replay(spec, host)
  local lines, path = load_recording(spec.source, host)
  if not lines then
    return nil, path
  end
  local record = recorder(host, {})
  local calls = 0
  local first = lines[1] or {}

  local function chat(req)
    local r = normalise(req, M.defaults)
    calls = calls + 1
    local step = host.step and host.step() or nil
    local where = "replay: call " .. calls
      .. (step and (" (step " .. step .. ")") or "")
    local rec = lines[calls]
    local now = M.encode(r)
    if not rec then
      error(where .. " has no recorded reply: " .. path .. " holds "
        .. #lines .. " calls\n  request: " .. now, 0)
    end
    local was = M.encode(rec.request)
    if was ~= now then
      local msg = where .. " differs from the recording in " .. path .. "\n"
        .. first_difference(was, now) .. "\n  recorded request: " .. was
        .. "\n  request now:      " .. now
      -- Fatal even under the agent's pcall (the host ends the run).
      if host.diverge then host.diverge(msg) end
      error(msg, 0)
    end
    local line = {}
    for k, v in pairs(rec) do
      line[k] = v
    end
    line.step = step
    line.replayed_from = path
    record(line)
    local usage = type(rec.usage) == "table" and rec.usage or nil
    if usage then
      host.tokens_add((usage.prompt or 0) + (usage.completion or 0))
    end
    if type(rec.reply) == "string" and rec.error == nil then
      return { text = rec.reply, usage = usage }
    end
    local e = type(rec.error) == "table" and rec.error or {}
    return nil, e.message or "recorded call failed", e.kind or "server"
  end
  return object(host, chat, first.provider or "replay", first.model)
end

-- A resumed run's first calls are answered from its own recording
-- (host.prefix: the llm.jsonl records made before the last complete step),
-- checked like replay, without recording or counting them again; later
-- calls go to the live client.
local function with_prefix(client, host)
  local prefix = host.prefix
  local function chat(req)
    local rec = table.remove(prefix, 1)
    if not rec then
      return client:chat(req)
    end
    local now = M.encode(normalise(req, M.defaults))
    local was = M.encode(rec.request)
    if was ~= now then
      local msg = "resume: model call differs from the recording\n"
        .. first_difference(was, now)
      if host.diverge then host.diverge(msg) end
      error(msg, 0)
    end
    if type(rec.reply) == "string" and rec.error == nil then
      return { text = rec.reply, usage = type(rec.usage) == "table" and rec.usage or nil }
    end
    local e = type(rec.error) == "table" and rec.error or {}
    return nil, e.message or "recorded call failed", e.kind or "server"
  end
  return object({}, chat, client.provider, client.model)
end

---------------------------------------------------------------------------

function M.new(spec_text, host, opts)
  if host.prefix and #host.prefix > 0 then
    local client, err = M.new(spec_text, setmetatable({ prefix = false }, { __index = host }), opts)
    if not client then
      return nil, err
    end
    return with_prefix(client, host)
  end
  local spec, err = M.parse_spec(spec_text)
  if not spec then
    return nil, err
  end
  if spec.provider == "none" then
    return new_none(host)
  elseif spec.provider == "replay" then
    return new_replay(spec, host)
  end
  return new_http(spec, host, config(host, opts))
end

return M
