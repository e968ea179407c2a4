"""A coach's message to a client: a nudge the bot delivers as a DM."""
