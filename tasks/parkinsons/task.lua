task "parkinsons" {
  category  = "kaggle",
  problem   = "research_problem.md",
  metric    = { name = "smape", goal = "min" },
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 54.764385,  -- measured: DecisionTreeRegressor(max_depth=3) on (visit month, horizon, score), seed 0
  noise     = 0.05,
  data      = { "data/*" },
  timeout   = 180,
  memory_mb = 4096,
  seed      = 0,
}
