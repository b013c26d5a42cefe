from __future__ import annotations

PHQ9_ALL = {f"q{i}": "1" for i in range(1, 10)}
PHQ9_NO_RISK = {**PHQ9_ALL, "q9": "0"}
