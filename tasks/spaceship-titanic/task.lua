task "spaceship-titanic" {
  category  = "kaggle",
  metric    = { name = "accuracy", goal = "max" },
  baseline  = 0.75,       -- measured: one-hot categoricals + LogisticRegression, seed 0
  noise     = 0.005,
}
