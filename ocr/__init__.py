"""Image to text with tesseract, after Pillow preprocessing."""
