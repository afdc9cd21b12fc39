"""Value types shared by every layer (connectors, models, monitor): they import nothing of ours."""
