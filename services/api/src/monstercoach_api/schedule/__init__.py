"""The LST (every engine's triggers), per-client overrides and next fires."""
