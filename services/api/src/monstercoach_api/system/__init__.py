"""System: service heartbeats, stream health, dead letters and their replay."""
