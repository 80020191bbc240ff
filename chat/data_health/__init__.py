"""Data health: /health (the team's figures for managers, a rep's own gaps) and the weekly nudge's text."""
