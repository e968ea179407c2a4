"""The coach audit log: who did what, when."""
