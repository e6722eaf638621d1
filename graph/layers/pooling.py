"""Layer kinds: pooling family (entries are added here)."""
