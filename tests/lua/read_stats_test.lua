-- mlab-test: host-modules
-- lua/stats.lua against textbook values.
local stats = require("stats")

local function near(a, b, tol, what)
  assert(math.abs(a - b) <= tol, ("%s: %.6f, expected %.6f"):format(what, a, b))
end

-- Wilson score intervals without continuity correction: Newcombe (1998),
-- "Two-sided confidence intervals for the single proportion", Statistics
-- in Medicine 17:857-872, Table I, method 3 (to 4 decimals).
for _, c in ipairs({ { 81, 263, 0.2553, 0.3662 }, { 15, 148, 0.0624, 0.1605 },
                     { 0, 20, 0.0000, 0.1611 }, { 1, 29, 0.0061, 0.1718 } }) do
  local lo, hi = stats.wilson(c[1], c[2])
  near(lo, c[3], 0.00005, ("wilson %d/%d lower"):format(c[1], c[2]))
  near(hi, c[4], 0.00005, ("wilson %d/%d upper"):format(c[1], c[2]))
end
assert(stats.wilson(0, 0) == nil, "no interval without runs")
local lo, hi = stats.wilson(20, 20)
assert(hi == 1 and lo > 0.83 and lo < 0.84, "20/20")

-- Fisher's exact test.  The lady tasting tea (Fisher 1935): 3 of 4 cups
-- right, two-sided p = 34/70 = 0.4857, one-sided 17/70 = 0.2429.
local two, less, greater = stats.fisher(3, 1, 1, 3)
near(two, 34 / 70, 1e-12, "tea two-sided")
near(greater, 17 / 70, 1e-12, "tea one-sided (greater)")
near(less, 69 / 70, 1e-12, "tea one-sided (less)")
-- The dieting example of Wikipedia's "Fisher's exact test": dieting 1 man
-- and 9 women, not dieting 11 men and 3 women, the table [[1, 9], [11, 3]]:
-- two-sided p = 0.002759; one-sided 0.001380 (the observed table's own
-- probability, 0.001346, plus the one more extreme).
two, less = stats.fisher(1, 9, 11, 3)
near(two, 0.0027594561852201, 1e-12, "dieting two-sided")
near(less, 0.0013797280926100, 1e-12, "dieting one-sided")
-- A table with equal margins is symmetric: p = 1 when nothing differs.
near(stats.fisher(2, 2, 2, 2), 1, 1e-12, "no difference")
near(stats.fisher(0, 3, 0, 3), 1, 1e-12, "no successes at all")

-- Mean, standard error, quantiles.
near(stats.mean({ 1, 2, 3, 4 }), 2.5, 1e-12, "mean")
near(stats.sd({ 2, 4, 4, 4, 5, 5, 7, 9 }), math.sqrt(32 / 7), 1e-12, "sample sd")
near(stats.se({ 2, 4, 4, 4, 5, 5, 7, 9 }), math.sqrt(32 / 7) / math.sqrt(8), 1e-12, "se")
assert(stats.se({ 1 }) == nil, "no standard error of one run")
near(stats.quantile({ 1, 2, 3, 4 }, 0.25), 1.75, 1e-12, "R type 7 quantile")

-- The bootstrap: seeded, so the same seed gives the same interval; it holds
-- the observed difference; it needs two runs a side.
local a, b = { 0.1, 0.3, 0.2, 0.25, 0.15 }, { 0.0, 0.05, 0.1, -0.05 }
local l1, h1, info = stats.bootstrap_diff(a, b, { seed = 7, reps = 1000 })
local l2, h2 = stats.bootstrap_diff(a, b, { seed = 7, reps = 1000 })
assert(l1 == l2 and h1 == h2, "same seed, same interval")
near(info.diff, 0.2 - 0.025, 1e-12, "observed difference")
assert(l1 < info.diff and info.diff < h1 and l1 > 0, ("interval %.3f..%.3f"):format(l1, h1))
local l3 = stats.bootstrap_diff(a, b, { seed = 8, reps = 1000 })
assert(l3 ~= l1, "another seed draws other resamples")
assert(stats.bootstrap_diff({ 1 }, b) == nil, "one run is not enough")
-- The generator is the same everywhere (splitmix64 from seed 0).
local r = stats.rng(0)
local u = r()
assert(u >= 0 and u < 1, "uniform")
local r2 = stats.rng(0)
assert(r2() == u, "repeatable")
