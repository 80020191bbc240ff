"""The WeChat Official Account and WeCom channel: the callback server, its crypto and the async API client.

handlers/wechat turns the decrypted messages into app calls; this package speaks the protocol.
"""
