task "parkinsons" {
  category  = "kaggle",
  metric    = { name = "smape", goal = "min" },
  baseline  = 54.764385,  -- measured: DecisionTreeRegressor(max_depth=3) on (visit month, horizon, score), seed 0
  noise     = 0.05,
}
