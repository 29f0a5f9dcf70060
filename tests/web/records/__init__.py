"""Record pages, lists and search over real HTTP (gpanel/web/records.py), and which addresses
count as a record's."""
