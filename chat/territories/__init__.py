"""Territories, the public pool, routed leads and reclaim, as the channels see them."""
