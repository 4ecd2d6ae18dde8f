task "scanner-shift" {
  category  = "research",
  metric    = { name = "accuracy", goal = "max" },
  baseline  = 0.331429,   -- measured: SVC(C=10) on raw clean pixels, seed 0 (clean validation: ~0.99)
  noise     = 0.005,
}
