task "scanner-shift" {
  category  = "research",
  problem   = "research_problem.md",
  metric    = { name = "accuracy", goal = "max" },
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 0.331429,   -- measured: SVC(C=10) on raw clean pixels, seed 0 (clean validation: ~0.99)
  noise     = 0.005,
  data      = { "data/*" },
  timeout   = 180,
  memory_mb = 4096,
  seed      = 0,
}
