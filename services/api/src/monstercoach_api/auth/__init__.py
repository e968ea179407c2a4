"""Coach login: Discord OAuth2 (authorization code, state, PKCE) and session cookies."""
