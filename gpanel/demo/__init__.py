"""The demo organisation as plain data (`cast`), shared by the emulator and the CRM seeder,
and the settings of `gpanel demo`.
"""
