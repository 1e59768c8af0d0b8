"""Calibrating a judge's scores on a labelled manifest: temperatures and thresholds.

- `calibration`: fitting a temperature and a threshold per label (`LabelFit`);
- `calibration_data`: score records matched to manifest rows (`CalibrationData`);
- `fit_judge`: manifests' rows, score records and a judge fitted together, and stored with it;
- `after_training`: `judge-train`'s last step, the best checkpoint calibrated on validation.

`judge-calibrate` is `judge.cli.calibrate`; it writes the result into an exported judge.
"""
