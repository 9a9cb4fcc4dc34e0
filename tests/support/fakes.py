from __future__ import annotations


class FakeClock:
    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
