"""Training the judge: losses, metrics, the LightningModule, resuming, the out-of-domain
statistics (`domain`), real footage, and `train(cfg)` (its command line is `judge.cli.train`)."""
