"""Deals and digests: deal cards, stage changes and their gates, evidence, the funnel and the digests."""
