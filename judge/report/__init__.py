"""Evaluation reports: a training-free baseline judge and metrics tables (Markdown, JSON)."""
