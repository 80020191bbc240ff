"""One member on several channels (/link), the greeting of text channels, and location check-ins."""
