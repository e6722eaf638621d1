"""The Search tab: mark parameters, run an Optuna study, watch its trials, apply the best."""
