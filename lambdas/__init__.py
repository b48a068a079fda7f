"""Lambda entry points: one module per function, each a decorator and one call."""
