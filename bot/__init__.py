"""Composition root: settings, logging, the `chatcrm` CLI, wiring and the channel runtimes."""
