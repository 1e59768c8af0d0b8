"""Adapters that turn public datasets into standard manifest rows.

Each adapter takes the source (folder or CSV) and the manifest the rows are meant for, and
returns rows whose paths are relative to that manifest's folder; every row passes
``judge.io.manifest.validate_row``. Write them with ``write_manifest`` (or ``judge-data import``).

- ``from_labelled_folder``: ``root/<label>/**.mp4`` (``plausible``/``implausible``, or one
  folder per artifact label plus ``clean``).
- ``from_csv``: a CSV of video paths and a 0/1 label, e.g. VideoPhy (``videopath``, ``pc``).
- ``from_intphys``: IntPhys-style matched possible/impossible runs of a scene (one group).
- ``from_real_footage``: real videos, all plausible.

``probe=True`` on any of them fills ``fps``, ``num_frames``, ``width`` and ``height`` (PyAV).
"""

from judge.sources._common import SourceError, SourceRows, find_videos
from judge.sources.csv_labels import from_csv
from judge.sources.folder import from_labelled_folder
from judge.sources.intphys import from_intphys
from judge.sources.real_footage import from_real_footage

__all__ = [
    "SourceError",
    "SourceRows",
    "find_videos",
    "from_csv",
    "from_intphys",
    "from_labelled_folder",
    "from_real_footage",
]
