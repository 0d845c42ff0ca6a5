"""Front ends: the Textual app and the headless command line."""
