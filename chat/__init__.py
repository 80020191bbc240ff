"""The channel-neutral conversation: what the bot says and how features register. Turns crm's results
into replies (text and buttons) in the member's language; holds no business rule."""
