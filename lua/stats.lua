--[[ stats.lua - the few statistics a report of runs needs, in plain Lua.

  local stats = require("stats")
  stats.wilson(k, n [, z])          -> lo, hi   Wilson score interval for k/n
                                               (z = 1.96: 95%); nil when n = 0
  stats.fisher(a, b, c, d)          -> p_two_sided, p_less, p_greater
                                               Fisher's exact test on the 2x2
                                               table {{a, b}, {c, d}}
  stats.mean(xs)                    -> mean | nil (empty)
  stats.sd(xs)                      -> sample standard deviation (n - 1) | nil
  stats.se(xs)                      -> standard error of the mean | nil (n < 2)
  stats.quantile(sorted, q)         -> the q-quantile (linear interpolation,
                                       R's type 7) of a sorted list
  stats.rng(seed)                   -> r(n): a whole number in 1..n; r():
                                       a float in [0, 1) (splitmix64: the same
                                       seed gives the same draws everywhere)
  stats.bootstrap_diff(xs, ys, opts) -> lo, hi, info | nil, why
       percentile bootstrap interval for mean(xs) - mean(ys), resampling each
       group with replacement; opts.reps (2000), opts.level (0.95),
       opts.seed (0).  info = { reps, level, seed, diff }

The two-sided Fisher p sums the probabilities of every table with the same
margins that is no more likely than the one observed (R's fisher.test,
with its relative tolerance 1e-7 for ties).
]]
local M = {}

function M.wilson(k, n, z)
  if not n or n <= 0 then return nil end
  z = z or 1.959963984540054
  local p = k / n
  local z2 = z * z
  local denom = 1 + z2 / n
  local centre = (p + z2 / (2 * n)) / denom
  local half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
  return math.max(0, centre - half), math.min(1, centre + half)
end

-- log(i!) for i = 0..n, grown on demand.
local logfact = { [0] = 0 }
local function lf(n)
  for i = #logfact + 1, n do logfact[i] = logfact[i - 1] + math.log(i) end
  return logfact[n]
end

-- P(X = x) for the hypergeometric law of the top-left cell.
local function dhyper(x, r1, r2, c1)
  local n = r1 + r2
  return math.exp(lf(r1) - lf(x) - lf(r1 - x) + lf(r2) - lf(c1 - x) - lf(r2 - c1 + x)
    - (lf(n) - lf(c1) - lf(n - c1)))
end

function M.fisher(a, b, c, d)
  local r1, r2, c1 = a + b, c + d, a + c
  local lo, hi = math.max(0, c1 - r2), math.min(r1, c1)
  local p_obs = dhyper(a, r1, r2, c1)
  local two, less, greater = 0, 0, 0
  for x = lo, hi do
    local p = dhyper(x, r1, r2, c1)
    if p <= p_obs * (1 + 1e-7) then two = two + p end
    if x <= a then less = less + p end
    if x >= a then greater = greater + p end
  end
  return math.min(1, two), math.min(1, less), math.min(1, greater)
end

function M.mean(xs)
  if #xs == 0 then return nil end
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  return s / #xs
end

function M.sd(xs)
  if #xs < 2 then return nil end
  local m = M.mean(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + (x - m) ^ 2 end
  return math.sqrt(s / (#xs - 1))
end

function M.se(xs)
  local sd = M.sd(xs)
  return sd and sd / math.sqrt(#xs)
end

function M.quantile(sorted, q)
  local n = #sorted
  if n == 0 then return nil end
  local h = (n - 1) * q + 1
  local i = math.floor(h)
  if i >= n then return sorted[n] end
  return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i])
end

function M.rng(seed)
  local state = math.tointeger(seed) or 0
  return function(n)
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    local u = (z >> 11) * 2.0 ^ -53
    if n then return math.floor(u * n) + 1 end
    return u
  end
end

function M.bootstrap_diff(xs, ys, opts)
  opts = opts or {}
  if #xs < 2 or #ys < 2 then return nil, "fewer than 2 scored runs on a side" end
  local reps, level, seed = opts.reps or 2000, opts.level or 0.95, opts.seed or 0
  local r = M.rng(seed)
  local diffs = {}
  for i = 1, reps do
    local sx, sy = 0, 0
    for _ = 1, #xs do sx = sx + xs[r(#xs)] end
    for _ = 1, #ys do sy = sy + ys[r(#ys)] end
    diffs[i] = sx / #xs - sy / #ys
  end
  table.sort(diffs)
  local alpha = (1 - level) / 2
  return M.quantile(diffs, alpha), M.quantile(diffs, 1 - alpha),
    { reps = reps, level = level, seed = seed, diff = M.mean(xs) - M.mean(ys) }
end

return M
