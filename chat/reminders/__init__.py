"""Reminders: how a due reminder reads, /reminders, /settings and the buttons on a delivered one."""
