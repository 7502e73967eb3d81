"""Running what ``symbolic`` builds: precision engines, executors, exact references, training loops."""
