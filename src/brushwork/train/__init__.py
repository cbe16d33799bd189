"""Feed-forward training with Lightning: module, data, callbacks, loggers, the run."""
