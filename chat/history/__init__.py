"""History: a customer's audit trail in chat (/history), page by page, newest first."""
