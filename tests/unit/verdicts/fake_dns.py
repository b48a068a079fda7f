"""An in-memory MailAuthDns for unit tests: records by (name, type), names that fail."""

from __future__ import annotations

from collections import defaultdict

from sesame.domain.identity_ports import DnsTemporaryFailure


class FakeMailAuthDns:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[object]] = defaultdict(list)
        self.failing: set[str] = set()
        self.asked: list[tuple[str, str]] = []

    def add_txt(self, name: str, *strings: str) -> None:
        self.records[(name.lower(), "TXT")].append(tuple(s.encode() for s in strings))

    def add(self, name: str, rdtype: str, value: object) -> None:
        self.records[(name.lower(), rdtype)].append(value)

    def _get(self, name: str, rdtype: str) -> list[object]:
        name = name.lower().rstrip(".")
        self.asked.append((name, rdtype))
        if name in self.failing:
            raise DnsTemporaryFailure(f"{name} {rdtype}: SERVFAIL")
        return list(self.records.get((name, rdtype), []))

    def txt(self, name: str) -> list[tuple[bytes, ...]]:
        return self._get(name, "TXT")  # type: ignore[return-value]

    def addresses(self, name: str, rdtype: str) -> list[str]:
        return self._get(name, rdtype)  # type: ignore[return-value]

    def mx(self, name: str) -> list[tuple[int, str]]:
        return self._get(name, "MX")  # type: ignore[return-value]

    def ptr(self, name: str) -> list[str]:
        return self._get(name, "PTR")  # type: ignore[return-value]
