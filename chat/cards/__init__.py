"""Business cards: photos in, contact cards out, with "fix" buttons for what OCR doubted."""
