"""Evaluation reports: metrics tables (Markdown, JSON), plots, contact sheets, the HTML page,
headless-browser screenshots and W&B logging; `build` runs an evaluation
(`judge.evaluation`) and writes the whole report."""
