"""An in-memory template store with the store port's behaviour (create conflicts, the limit)."""

from __future__ import annotations

from typing import Any

from sesame.domain.templates import TemplateExists, TemplateLimitReached, TemplateSummary


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Any] = {}

    def create(self, account_id: str, template: Any, *, limit: int) -> None:
        if (account_id, template.name) in self.items:
            raise TemplateExists(template.name)
        if sum(1 for account, _ in self.items if account == account_id) >= limit:
            raise TemplateLimitReached(template.name)
        self.items[(account_id, template.name)] = template

    def get(self, account_id: str, name: str) -> Any:
        return self.items.get((account_id, name))

    def replace(self, account_id: str, template: Any) -> bool:
        if (account_id, template.name) not in self.items:
            return False
        self.items[(account_id, template.name)] = template
        return True

    def delete(self, account_id: str, name: str) -> bool:
        return self.items.pop((account_id, name), None) is not None

    def list_page(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[Any], bool]:
        names = sorted(name for account, name in self.items if account == account_id and name > (after or ""))
        page = [self.items[(account_id, name)] for name in names[:limit]]
        if page and hasattr(page[0], "content") and not hasattr(page[0], "success_url"):
            page = [TemplateSummary(t.name, t.created_at) for t in page]
        return page, len(names) > limit
