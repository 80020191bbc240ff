"""Time-driven jobs: due reminders, daily digests, unclaimed-lead alerts. No channel knowledge."""
