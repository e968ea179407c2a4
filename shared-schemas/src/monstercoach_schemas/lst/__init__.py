"""The LST (logic & schedule table): every engine's triggers, and the rules that turn
them into instants in each client's time zone.

Pure data and functions (no I/O, no clock), shared by the scheduler, which acts on it,
and the api, which shows it and checks a coach's schedule overrides against it. Each
engine's declarations are their own module; an engine's declaration never imports
another engine's. The explicit list of engines is :mod:`.registry`.
"""
