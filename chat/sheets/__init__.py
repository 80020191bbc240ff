"""Spreadsheets in chat: /import (a file with that caption, or the template), /export, and undoing an
import."""
