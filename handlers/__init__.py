"""Thin per-channel adapters: unpack an update, make one service call, render the result."""
