task "digits" {
  category  = "canonical",
  problem   = "research_problem.md",
  metric    = { name = "accuracy", goal = "max" },
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 0.633333,   -- measured: DecisionTreeClassifier(max_depth=4) starter, seed 0
  noise     = 0.005,
  data      = { "data/*" },
  timeout   = 120,
  memory_mb = 4096,
  seed      = 0,
}
