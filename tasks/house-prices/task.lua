task "house-prices" {
  category  = "kaggle",
  problem   = "research_problem.md",
  metric    = { name = "rmse", goal = "min" },   -- RMSE of log(SalePrice)
  prepare   = "prepare.py",
  evaluate  = "evaluate.py",
  starter   = "train.py",
  threshold = 0.10,
  baseline  = 0.266645,    -- measured: DecisionTreeRegressor(max_depth=5) on numeric columns, seed 0
  noise     = 0.002,
  data      = { "data/*" },
  timeout   = 180,
  memory_mb = 4096,
  seed      = 0,
}
