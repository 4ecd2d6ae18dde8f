--[[ llm_http.lua - a live model: one provider's wire format over HTTP,
with retries, each attempt classified, and the call recorded.

  local live = llm_http.new(spec, host, cfg, provider, key, rec)
  local prep = live.prepare(r)            -- the wire body and the estimate
  local reply, msg, kind = live.call(r, prep)
  -- reply = { text, usage = { prompt, completion [, estimated] }, tool_calls }
  llm_http.classify(p, where, status, body, info, r) -> outcome
  llm_http.backoff(try, retry_after, cfg, x) -> seconds before retry `try`

`spec` is llm.parse_spec's, `r` llm_request.lua's neutral request, `rec`
llm_record.lua's recorder.  prepare() runs before the guarded call (it is
plain work over the agent's data, bounded by the run's deadline); call()
runs inside it.  host: post, sleep, now, tokens_allow, tokens_add, and
optionally time_left, random, step (see llm.lua).

A reply's tool calls are handed to the agent as they come back from the
record's own encoding, so a replay gives the agent the very same values.
]]
local json = require("json")
local request = require("llm_request")

local M = {}

-- Seconds rounded to milliseconds: records stay readable.
local function ms(s)
  return math.floor(s * 1000 + 0.5) / 1000
end

local function snippet(s)
  s = tostring(s or ""):sub(1, 1000):gsub("%s+", " ")
  if #s > 200 then
    s = s:sub(1, 200) .. "..."
  end
  return s
end

-- Seconds before retry number `try` (1 = first retry): exponential, with
-- "equal jitter" (half fixed, half random) so clients that failed together
-- do not return together; never less than the server's Retry-After.
function M.backoff(try, retry_after, cfg, x)
  local d = math.min(cfg.backoff_max, cfg.backoff * 2 ^ (try - 1))
  d = d / 2 + d / 2 * x
  if retry_after and retry_after > d then
    d = retry_after
  end
  return d
end

-- One attempt's outcome: { text, usage, tool_calls } or { kind, message,
-- retry, retry_after, status }.
function M.classify(p, where, status, body, info, r)
  if not status then -- no reply: body is the message, info the http kind
    return { kind = info == "timeout" and "timeout" or "server",
             message = body, retry = info ~= "error" }
  end
  local doc
  local ctype = info.content_type or ""
  local is_json = ctype:find("json", 1, true) ~= nil
  if is_json then
    local d = json.decode(body)
    doc = type(d) == "table" and d or nil
  end
  if status >= 200 and status < 300 then
    if not is_json then
      return { kind = "bad_reply", status = status,
               message = "reply from " .. where .. " has content type '"
                 .. ctype .. "', not JSON: " .. snippet(body) }
    end
    if not doc then
      return { kind = "bad_reply", status = status,
               message = "reply from " .. where .. " is not valid JSON: "
                 .. snippet(body) }
    end
    local out, why = p.parse(doc, r)
    if not out then
      return { kind = "bad_reply", status = status,
               message = "reply from " .. where .. ": " .. why }
    end
    out.status = status
    return out
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

-- The URL as records show it: no user:password@, no ?query (either can
-- hold a secret, and neither says which endpoint a run used).
function M.strip_url(url)
  url = url:gsub("^(%a[%w+.-]*://)[^/@]*@", "%1")
  return (url:gsub("[?#].*$", ""))
end

function M.new(spec, host, cfg, p, key, rec)
  local base = spec.url or host.getenv(p.base_env) or p.default_base
  local url = p.url(base)
  local where = M.strip_url(url)
  if not spec.url and not key and base == p.default_base then
    return nil, p.key_env .. " is not set (needed for " .. where .. ")"
  end
  local random = host.random or math.random
  local headers = p.headers(key)
  local live = { provider = p.name, model = spec.model }

  function live.prepare(r)
    return { body = json.canonical(p.body(spec.model, r)),
             need = request.estimate_call(r) }
  end

  local function finish(line, t0, out)
    line.latency_s = ms(host.now() - t0)
    rec.write(line)
    if out.text then
      return { text = out.text, usage = out.usage, tool_calls = out.tool_calls }
    end
    return nil, out.message, out.kind
  end

  -- Records the call so far and raises e again (the run's budget ran out
  -- inside host.post or host.sleep).
  local function reraise(line, t0, e)
    line.error = { kind = "budget", message = rec.message(
      type(e) == "table" and e.msg or e) }
    line.latency_s = ms(host.now() - t0)
    rec.write(line)
    error(e, 0)
  end

  function live.call(r, prep)
    local t0 = host.now()
    local line = { call = rec.next(), step = host.step and host.step() or nil,
                   provider = p.name, model = spec.model, url = where,
                   request = r, tries = 0, retries = 0, attempts = {} }
    local ok, why = host.tokens_allow(prep.need)
    if not ok then
      local msg = rec.message("budget: this call may need " .. prep.need
        .. " tokens (" .. request.estimate_prompt(r) .. " prompt + " .. r.max_tokens
        .. " max_tokens), more than the budget has left: " .. tostring(why))
      line.error = { kind = "budget", message = msg }
      return finish(line, t0, { kind = "budget", message = msg })
    end
    local out
    for try = 1, cfg.max_tries do
      line.tries = try
      local a0 = host.now()
      local okp, status, rbody, info = pcall(host.post, url, headers, prep.body,
        { timeout = cfg.timeout, connect_timeout = cfg.connect_timeout })
      if not okp then reraise(line, t0, status) end
      out = M.classify(p, where, status, rbody, info, r)
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
      -- raises when the run's time runs out or a signal stops it
      local oks, e = pcall(host.sleep, M.backoff(try, out.retry_after, cfg, random()))
      if not oks then reraise(line, t0, e) end
    end
    line.retries = line.tries - 1
    if not out.text then
      if line.tries > 1 then
        out.message = out.message .. " (after " .. line.tries .. " tries)"
      end
      out.message = rec.message(out.message)
      line.error = { kind = out.kind, message = out.message, status = out.status }
      return finish(line, t0, out)
    end
    if out.tool_calls then
      out.tool_calls = json.decode(json.canonical(out.tool_calls))
    end
    if not out.usage then -- a reply without usage still costs tokens
      out.usage = { prompt = request.estimate_prompt(r),
                    completion = request.estimate_reply(out.text, out.tool_calls),
                    estimated = true }
    end
    host.tokens_add(out.usage.prompt + out.usage.completion)
    line.reply = out.text
    line.tool_calls = out.tool_calls
    line.usage = out.usage
    return finish(line, t0, out)
  end

  return live
end

return M
