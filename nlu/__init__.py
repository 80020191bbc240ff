"""Text to structured facts: pure functions over text plus a clock."""
