"""Deliveries (every DM asked for, and what became of it) and missed fires, roster-wide."""
