"""Insights: where the pain is across the company, and how the open problems age (above problems)."""
