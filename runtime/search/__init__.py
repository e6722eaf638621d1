"""Design-space search with Optuna: each trial trains with our engine in its own process.

`space` turns the project's `search` section into Optuna suggestions, `study`
opens studies (journal file, RDB URL), samplers and pruners and summarizes them,
`child` is the trial's worker process, and `driver.SearchDriver` runs trials in
parallel, reports epoch metrics to the pruner, and can be paused and stopped.
"""
