"""The local console chat, for trying chatcrm without any messenger."""
