"""Block kinds (composite layers). Filled by a later change."""
