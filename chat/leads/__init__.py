"""Leads: forwarded and pasted chats become lead cards; search, customer cards, corrections, merges, undo."""
