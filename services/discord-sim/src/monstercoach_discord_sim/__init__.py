"""A Discord REST simulator: the routes MonsterCoach's bot uses, on loopback."""
