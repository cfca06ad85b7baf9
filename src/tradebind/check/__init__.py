"""The connection check: one credential, one market, one report (run.py orchestrates, report.py renders)."""
