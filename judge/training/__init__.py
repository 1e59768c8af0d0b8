"""Training the judge: losses, metrics, the LightningModule and the Hydra entry points."""
