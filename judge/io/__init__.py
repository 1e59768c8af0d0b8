"""Video and manifest I/O: atomic writes, manifest read/validate/write, video encode/decode.

Kept light on purpose: submodules are imported explicitly (``from judge.io.manifest import
read_manifest``) so that importing ``judge.io`` never loads PyAV, decord or torch.
"""
