"""The program's evaluation: labelled weeks (``weeks.jsonl``), the metric, a stand-in LM,
``dspy.Evaluate`` and the optimizer run."""
