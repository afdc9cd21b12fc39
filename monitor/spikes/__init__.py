"""Crisis spike detection: learned baselines, significance on counts, a spike lifecycle."""
