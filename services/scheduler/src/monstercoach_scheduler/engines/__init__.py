"""Engines: one module of coaching logic each, declaring its triggers (the LST).

Each engine module imports only :mod:`.base`, the shared schemas and the runtime kit,
never another engine, so engines can change independently. This package deliberately
imports nothing: the explicit list of engines lives in
:mod:`monstercoach_scheduler.registry`.
"""
