-- observation.lua - long outputs made fit for a prompt.
--
-- A training script can print megabytes; the head (setup, first errors)
-- and the tail (the final score, the traceback) are what an agent needs.
--
--   observation.truncate(text, max_chars) -> text, cut (chars left out)
--     keeps the head and the tail at line boundaries with a marker between
--   observation.chunks(text, size) -> list of {text=, first=, last=}
--     blocks of whole lines of at most ~size chars (a longer line is split)
--   observation.summarise(text, ask, opts) -> text | nil, err
--     text as it is when short; else each chunk summarised by ask(prompt)
--     (a model call) and the parts joined.  opts: limit (5000), chunk
--     (10000), what (describes the text: "the output of Execute Script ...")
local M = {}

function M.truncate(text, max_chars)
  text = text or ""
  if #text <= max_chars then return text, 0 end
  local head_n = max_chars * 2 // 5
  local tail_n = max_chars - head_n
  local head = text:sub(1, head_n)
  local tail = text:sub(#text - tail_n + 1)
  -- Cut at line boundaries when a line end is near.
  local nl = head:match(".*()\n")
  if nl and nl > head_n // 2 then head = head:sub(1, nl) end
  local first_nl = tail:find("\n", 1, true)
  if first_nl and first_nl < tail_n // 2 then tail = tail:sub(first_nl + 1) end
  local cut = #text - #head - #tail
  local sep = head:sub(-1) == "\n" and "" or "\n"
  return ("%s%s[... %d characters left out ...]\n%s"):format(head, sep, cut, tail), cut
end

function M.chunks(text, size)
  local out, cur, cur_len, first, line_no = {}, {}, 0, 1, 0
  -- Closes the current block, which ends at line `last`.
  local function flush(last)
    if #cur > 0 then
      out[#out + 1] = { text = table.concat(cur), first = first, last = last }
      cur, cur_len = {}, 0
    end
  end
  for line in text:gmatch("[^\n]*\n?") do
    if line == "" then break end
    line_no = line_no + 1
    if #line > size then
      flush(line_no - 1)
      while #line > size do
        out[#out + 1] = { text = line:sub(1, size), first = line_no, last = line_no }
        line = line:sub(size + 1)
      end
    elseif cur_len + #line > size then
      flush(line_no - 1)
    end
    if #cur == 0 then first = line_no end
    cur[#cur + 1] = line
    cur_len = cur_len + #line
  end
  flush(line_no)
  return out
end

function M.summarise(text, ask, opts)
  opts = opts or {}
  local limit, size = opts.limit or 5000, opts.chunk or 10000
  if #text <= limit then return text end
  local what = opts.what or "an observation"
  local blocks = M.chunks(text, size)
  local parts = {}
  for i, b in ipairs(blocks) do
    local prompt = ("This is %s%s (lines %d to %d):\n```\n%s\n```\n\n"
      .. "Summarise it concisely and objectively: keep every number, score, "
      .. "error message and file name an experimenter would need; do not guess "
      .. "anything the text does not say."):format(what,
        #blocks > 1 and (" (part %d of %d)"):format(i, #blocks) or "", b.first, b.last, b.text)
    local s, err = ask(prompt)
    if not s then return nil, err end
    parts[#parts + 1] = #blocks > 1 and ("Part %d (lines %d-%d): %s"):format(i, b.first, b.last, s) or s
  end
  return "[summary of " .. #text .. " characters]\n" .. table.concat(parts, "\n\n")
end

return M
