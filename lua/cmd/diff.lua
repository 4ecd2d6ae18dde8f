-- cmd/diff.lua - `mlab diff RUN A B`: the workspace change between two
-- steps; `mlab diff R1[@N] R2[@M]`: between two runs' workspaces.
local cl = require("cmdline")
local sys = require("mlab.sys")
local snap_mod = require("mlab.snap")
local term = require("term")
local patch = require("patch")
local task_mod = require("task")
local textdiff = require("diff")

local M = {}

M.help = [[
usage: mlab diff RUN A B [-- PATH] [--stat | --all] [--runs-dir D]
       mlab diff R1[@N] R2[@M] [-- PATH] [--stat | --all] [--runs-dir D]

The workspace change from step A to step B of RUN, or from run R1's
workspace to R2's (after its last step, or after step N with R1@N), as a
unified diff.  Files scripts generate (the task's `generated` globs, else
submission*, *.csv, *.npy, *.pkl, ...) come last as one --stat line each.
  --stat           one line per file: the lines changed
  --all            generated files whole too
  -- PATH          only PATH
]]

-- "R@N" -> "R", N ; "R" -> "R", nil
local function run_at(s)
  local name, n = s:match("^(.*)@(%d+)$")
  if name then return name, math.tointeger(tonumber(n)) end
  return s, nil
end

-- Every file under dir (relative paths), sorted.
local function files(dir, prefix, out)
  out = out or {}
  local names = sys.list_dir(dir .. (prefix ~= "" and "/" .. prefix or "")) or {}
  table.sort(names)
  for _, n in ipairs(names) do
    local rel = prefix ~= "" and prefix .. "/" .. n or n
    local st = sys.stat(dir .. "/" .. rel)
    if st and st.type == "directory" then files(dir, rel, out)
    elseif st then out[#out + 1] = rel end
  end
  return out
end

-- A unified diff (git's format) of two folders, written by the diff of
-- stdlib (both sides are checkouts, so no git object links them).
local function dir_diff(a, b, only)
  local fa, fb, all, seen = files(a, ""), files(b, ""), {}, {}
  for _, p in ipairs(fa) do seen[p] = true; all[#all + 1] = p end
  for _, p in ipairs(fb) do if not seen[p] then all[#all + 1] = p end end
  table.sort(all)
  local out = {}
  for _, p in ipairs(all) do
    if not only or p == only or p:sub(1, #only + 1) == only .. "/" then
      local x, y = sys.read(a .. "/" .. p), sys.read(b .. "/" .. p)
      if x ~= y then
        local head = { ("diff --git a/%s b/%s"):format(p, p) }
        if not x then head[#head + 1] = "new file mode 100644" end
        if not y then head[#head + 1] = "deleted file mode 100644" end
        if (x and x:find("\0", 1, true)) or (y and y:find("\0", 1, true)) then
          head[#head + 1] = ("Binary files %s and %s differ"):format(x and "a/" .. p or "/dev/null",
            y and "b/" .. p or "/dev/null")
          out[#out + 1] = table.concat(head, "\n") .. "\n"
        else
          local d = textdiff.unified(x or "", y or "", { from = x and "a/" .. p or "/dev/null",
            to = y and "b/" .. p or "/dev/null" })
          out[#out + 1] = table.concat(head, "\n") .. "\n" .. d
        end
      end
    end
  end
  return table.concat(out)
end

local function generated(rd)
  local m = rd:manifest()
  local task = m and m.task_dir and task_mod.load(m.task_dir)
  return patch.generated(task or nil)
end

local function last_step(rd)
  local h = snap_mod.open(rd.paths.git)
  local n = 0
  while h and h:resolve("step-" .. (n + 1)) do n = n + 1 end
  return n
end

local function two_runs(o, pos, rest)
  local na, sa = run_at(pos[1])
  local nb, sb = run_at(pos[2])
  local ra, rb = cl.run(o, na), cl.run(o, nb)
  sa, sb = sa or last_step(ra), sb or last_step(rb)
  local ha, hb = assert(snap_mod.open(ra.paths.git)), assert(snap_mod.open(rb.paths.git))
  local ta, tb = ha:tree("step-" .. sa), hb:tree("step-" .. sb)
  if not ta then cl.err(("run %s has no step %d"):format(ra.id, sa)); return nil end
  if not tb then cl.err(("run %s has no step %d"):format(rb.id, sb)); return nil end
  if ta == tb then return "", generated(ra) end
  local base = ("%s/diff-%s"):format(task_mod.cache_root(), sys.random_hex(6))
  local ok, err = ha:checkout("step-" .. sa, base .. "/a")
  if ok then ok, err = hb:checkout("step-" .. sb, base .. "/b") end
  if not ok then
    sys.remove_tree(base)
    cl.err(err)
    return nil
  end
  local text = dir_diff(base .. "/a", base .. "/b", rest and rest[1])
  sys.remove_tree(base)
  return text, generated(ra)
end

function M.main(args)
  local o, pos, rest = cl.parse(args, { ["runs-dir"] = "value", stat = "flag", all = "flag" })
  if not o then cl.usage(pos .. " (see mlab diff --help)") end
  local text, gen
  if #pos == 3 then
    local rd = cl.run(o, pos[1])
    local a, b = cl.step(pos[2]), cl.step(pos[3])
    local h = assert(snap_mod.open(rd.paths.git))
    local derr
    text, derr = h:diff("step-" .. a, "step-" .. b, rest and rest[1])
    if not text then cl.err(derr); return 2 end
    gen = generated(rd)
  elseif #pos == 2 then
    text, gen = two_runs(o, pos, rest)
    if not text then return 2 end
  else
    cl.usage(M.help)
  end
  if o.stat then
    local fs = patch.split(text)
    if #fs > 0 then cl.out(term.visible(patch.stat(fs))) end
    return 0
  end
  -- A path asked for by name is shown whole.
  cl.out(term.visible(patch.render(text, { generated = gen, all = o.all or (rest and rest[1]) })))
  return 0
end

return M
