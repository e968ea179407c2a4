"""A client's timeline: everything they did and everything sent to them, newest first."""
