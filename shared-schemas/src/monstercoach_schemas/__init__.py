"""MonsterCoach shared schemas: the domain, the stream messages, the bus topology.

Pure pydantic models and constants: no I/O, imported by every service.
"""
