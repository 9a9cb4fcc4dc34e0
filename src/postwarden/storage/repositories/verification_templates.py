"""Custom verification email templates per (account, region)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from postwarden.ports import VerificationTemplate
from postwarden.storage.tables import custom_verification_templates as templates

_SUMMARY_COLUMNS = [c for c in templates.c if c.name != "template_content"]


class SqlVerificationTemplateRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, template: VerificationTemplate) -> bool:
        savepoint = self._c.begin_nested()
        try:
            self._c.execute(insert(templates).values(**_row(template)))
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def get(self, account_id: str, region: str, name: str) -> VerificationTemplate | None:
        row = self._c.execute(select(templates).where(*_key(account_id, region, name))).mappings().first()
        return None if row is None else _template(row)

    def page(self, account_id: str, region: str, after: str | None, limit: int) -> list[VerificationTemplate]:
        query = select(*_SUMMARY_COLUMNS).where(
            templates.c.account_id == account_id, templates.c.region == region
        )
        if after is not None:
            query = query.where(templates.c.template_name > after)
        query = query.order_by(templates.c.template_name).limit(limit)
        return [_template(row) for row in self._c.execute(query).mappings()]

    def count(self, account_id: str, region: str) -> int:
        query = select(func.count()).where(templates.c.account_id == account_id, templates.c.region == region)
        return int(self._c.execute(query).scalar_one())

    def replace(self, template: VerificationTemplate) -> bool:
        values = _row(template)
        for column in ("account_id", "region", "template_name", "created_at"):
            del values[column]
        statement = (
            update(templates)
            .where(*_key(template.account_id, template.region, template.name))
            .values(**values)
        )
        return bool(self._c.execute(statement).rowcount)

    def delete(self, account_id: str, region: str, name: str) -> bool:
        result = self._c.execute(delete(templates).where(*_key(account_id, region, name)))
        return bool(result.rowcount)


def _key(account_id: str, region: str, name: str) -> list[ColumnElement[bool]]:
    return [
        templates.c.account_id == account_id,
        templates.c.region == region,
        templates.c.template_name == name,
    ]


def _row(template: VerificationTemplate) -> dict[str, Any]:
    return {
        "account_id": template.account_id,
        "region": template.region,
        "template_name": template.name,
        "from_email_address": template.from_email_address,
        "template_subject": template.subject,
        "template_content": template.content,
        "success_redirection_url": template.success_redirection_url,
        "failure_redirection_url": template.failure_redirection_url,
        "tags": json.dumps(dict(template.tags)),
        "created_at": template.created_at,
    }


def _template(row: RowMapping) -> VerificationTemplate:
    return VerificationTemplate(
        account_id=row["account_id"],
        region=row["region"],
        name=row["template_name"],
        from_email_address=row["from_email_address"],
        subject=row["template_subject"],
        content=row.get("template_content") or "",
        success_redirection_url=row["success_redirection_url"],
        failure_redirection_url=row["failure_redirection_url"],
        created_at=row["created_at"],
        tags=json.loads(row["tags"] or "{}"),
    )
