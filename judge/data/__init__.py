"""Clips for training: window sampling, label mapping, transforms, datasets and the DataModule."""
