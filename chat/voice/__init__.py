"""Voice notes: the minutes card, progress while a note is transcribed, and the minutes' buttons."""
