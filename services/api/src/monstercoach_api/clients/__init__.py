"""Clients: the roster, one client's profile and targets, status changes."""
