"""Calibrating a judge's scores on a labelled manifest: temperatures and thresholds.

- `calibration`: fitting a temperature and a threshold per label (`LabelFit`);
- `calibration_data`: score records matched to manifest rows (`CalibrationData`).

`judge-calibrate` is `judge.cli.calibrate`; it writes the result into an exported judge.
"""
