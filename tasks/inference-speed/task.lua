task "inference-speed" {
  category  = "research",
  metric    = { name = "speedup", goal = "max" },  -- tokens/s (CPU time) relative to the original generate()
  threshold = 0.50,   -- timing noise is ~0.15 on 2 loaded cores: ask for a clear win
  baseline  = 1.0,        -- the starter is the reference: speed-up 1 by construction (measured 0.98-1.02 under load)
  noise     = 0.15,
  timeout   = 120,
}
