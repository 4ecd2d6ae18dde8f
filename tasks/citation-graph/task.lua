task "citation-graph" {
  category  = "canonical",
  metric    = { name = "accuracy", goal = "max" },
  baseline  = 0.4745,     -- measured: LogisticRegression on node features only, seed 0
  noise     = 0.005,
}
