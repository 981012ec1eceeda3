"""Citation-grounded assistant over UN Crime Congress regional preparatory meeting reports."""
