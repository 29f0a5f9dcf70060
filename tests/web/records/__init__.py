"""Record pages, lists and search over real HTTP (gpanel/web/records/), and which addresses
count as a record's."""
