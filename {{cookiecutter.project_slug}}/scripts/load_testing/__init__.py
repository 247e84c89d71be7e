"""The engine behind scripts/api_load_tester.py (see its --help)."""
