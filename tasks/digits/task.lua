task "digits" {
  category  = "canonical",
  metric    = { name = "accuracy", goal = "max" },
  baseline  = 0.633333,   -- measured: DecisionTreeClassifier(max_depth=4) starter, seed 0
  noise     = 0.005,
  timeout   = 120,
}
