"""Telegram handlers (aiogram routers)."""
