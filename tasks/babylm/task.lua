task "babylm" {
  category  = "research",
  problem   = "research_problem.md",
  metric    = { name = "bpc", goal = "min" },     -- held-out bits per character
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 1.647718,   -- measured: character trigram with add-1 smoothing, seed 0
  noise     = 0.001,
  data      = { "data/*" },
  timeout   = 300,
  memory_mb = 4096,
  seed      = 0,
}
