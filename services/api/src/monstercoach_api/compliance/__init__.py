"""Derived figures the dashboard shows per client: today's job card, compliance."""
