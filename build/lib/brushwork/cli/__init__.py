"""The `brushwork` command: one module per sub-command (brushwork.cli.main dispatches)."""
