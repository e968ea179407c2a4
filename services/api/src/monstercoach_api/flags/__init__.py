"""Flags: the inbox, acknowledge, resolve with a note, and on-demand re-scans."""
