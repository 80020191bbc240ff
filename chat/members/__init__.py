"""Members: /start (founding a team, joining by invite), /help, /invite, /lang and /cancel."""
