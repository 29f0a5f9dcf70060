"""The category labels over real HTTP (gpanel/web/labels.py): the switch, preview, runs, the
label view and explanations."""
