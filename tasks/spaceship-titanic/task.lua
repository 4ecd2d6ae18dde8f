task "spaceship-titanic" {
  category  = "kaggle",
  problem   = "research_problem.md",
  metric    = { name = "accuracy", goal = "max" },
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 0.75,       -- measured: one-hot categoricals + LogisticRegression, seed 0
  noise     = 0.005,
  data      = { "data/*" },
  timeout   = 180,
  memory_mb = 4096,
  seed      = 0,
}
