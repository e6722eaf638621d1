"""Layer kinds: recurrent family (entries are added here)."""
