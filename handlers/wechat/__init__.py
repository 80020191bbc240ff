"""WeChat Official Account and WeCom callback handlers."""
