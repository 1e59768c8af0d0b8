"""Reranking scored candidates: best-of-N per group, filters and preference pairs.

- `rerank`: the ranking of a group's candidates and its filters (`Ranking`);
- `grouping`: how candidates are grouped (folder, pattern, manifest column);
- `pairs`: preference pairs for the generator (docs/formats.md, "Preference pairs");
- `link_best`: linking or copying each group's best candidate into a folder.

It reads score records (`judge.inference.record`); `judge-rerank` is `judge.cli.rerank`.
"""
