"""What must hold for a resumed run to continue its checkpoint exactly.

Resuming from a checkpoint taken at the end of an epoch (`last.ckpt`) repeats an uninterrupted
run bit for bit on a CPU: the data stream and augmentation are functions of (seed, epoch,
index) (`judge.data.samplers`), dropout is reseeded from (seed, epoch, batch) before every
training batch (`JudgeModule.on_train_batch_start`), and Lightning restores weights, optimiser,
scheduler and loop counters. A checkpoint from the middle of an epoch resumes at the start of
that epoch's stream, so that resume is not exact.

A learning-rate schedule sized to the run (OneCycleLR's `total_steps`, CosineAnnealingLR's
`T_max`) cannot be stretched once it has started: the checkpoint's schedule would be restored
over the new one and run out (OneCycleLR raises after its last step, cosine turns back up).
"""

from __future__ import annotations


class ScheduleLengthMismatch(ValueError):
    """A resumed run needs a different number of optimiser steps than its checkpoint's
    learning-rate schedule was built for."""


def check_schedule_length(
    saved: list[dict], key: str, steps: int, max_epochs: int | None, name: str
) -> None:
    """Raise `ScheduleLengthMismatch` when the checkpoint's scheduler state (`saved`, from
    `checkpoint["lr_schedulers"]`) has `key` (e.g. `total_steps`) other than `steps`, the
    length this run would give it. `max_epochs` (this run's) only makes the message concrete."""
    if not saved or key not in saved[0]:
        return
    old = int(saved[0][key])
    if old == steps:
        return
    hint = ""
    if max_epochs and max_epochs > 0:
        epochs = old * max_epochs / steps
        hint = f" (about trainer.max_epochs={epochs:g} at this run's steps per epoch)"
    raise ScheduleLengthMismatch(
        f"cannot resume: the checkpoint's {name} schedule spans {key}={old} optimiser steps, "
        f"but this run has {steps}. Its max_epochs, max_steps, limit_train_batches, "
        f"batch size, epoch_size, devices or accumulate_grad_batches differ from the run that "
        f"wrote the checkpoint, and {name} cannot be stretched once started. Resume with the "
        f"settings that run was started with{hint}, or start a new run (ckpt_path=null) "
        f"with the longer schedule."
    )
