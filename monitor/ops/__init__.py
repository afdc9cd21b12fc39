"""Running in production: coordination of several instances, observability, retention."""
