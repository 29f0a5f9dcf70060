"""gpanel: a live Gmail panel for CRMs."""
