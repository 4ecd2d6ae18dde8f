task "sentiment" {
  category  = "canonical",
  problem   = "research_problem.md",
  metric    = { name = "accuracy", goal = "max" },
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 0.69575,    -- measured: top-500 uni+bigram counts + DecisionTree(max_depth=6), seed 0
  noise     = 0.005,
  data      = { "data/*" },
  timeout   = 180,
  memory_mb = 4096,
  seed      = 0,
}
