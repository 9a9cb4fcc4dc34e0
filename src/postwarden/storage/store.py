"""The unit of work over SQLAlchemy: one connection, one transaction, every repository on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from postwarden.storage.repositories.accounts import SqlAccountRepository
from postwarden.storage.repositories.configuration_sets import SqlConfigurationSetRepository
from postwarden.storage.repositories.dkim import SqlDkimKeyRepository
from postwarden.storage.repositories.event_destinations import SqlEventDestinationRepository
from postwarden.storage.repositories.events import SqlAuditRepository, SqlEventRepository
from postwarden.storage.repositories.feedback import SqlFeedbackRepository
from postwarden.storage.repositories.identities import SqlIdentityRepository
from postwarden.storage.repositories.import_jobs import SqlImportJobRepository
from postwarden.storage.repositories.messages import SqlMessageRepository
from postwarden.storage.repositories.notifications import SqlNotificationRepository
from postwarden.storage.repositories.reputation import SqlReputationRepository
from postwarden.storage.repositories.reviews import SqlReviewRepository
from postwarden.storage.repositories.sending import SqlSendingRepository
from postwarden.storage.repositories.suppression import SqlSuppressionRepository
from postwarden.storage.repositories.topics import SqlTopicRepository
from postwarden.storage.repositories.verification_templates import SqlVerificationTemplateRepository


class SqlTransaction:
    def __init__(self, connection: Connection, *, postgres: bool) -> None:
        self.connection = connection
        self.accounts = SqlAccountRepository(connection)
        self.sending = SqlSendingRepository(connection, row_locks=postgres)
        self.identities = SqlIdentityRepository(connection)
        self.messages = SqlMessageRepository(connection, skip_locked=postgres)
        self.events = SqlEventRepository(connection, self.messages)
        self.audit = SqlAuditRepository(connection)
        self.dkim = SqlDkimKeyRepository(connection)
        self.suppression = SqlSuppressionRepository(connection)
        self.configuration_sets = SqlConfigurationSetRepository(connection)
        self.verification_templates = SqlVerificationTemplateRepository(connection)
        self.topics = SqlTopicRepository(connection)
        self.event_destinations = SqlEventDestinationRepository(connection)
        self.notifications = SqlNotificationRepository(connection, skip_locked=postgres)
        self.reputation = SqlReputationRepository(connection, row_locks=postgres)
        self.feedback = SqlFeedbackRepository(connection)
        self.import_jobs = SqlImportJobRepository(connection, skip_locked=postgres)
        self.reviews = SqlReviewRepository(connection)


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.engine.begin() as connection:
            yield SqlTransaction(connection, postgres=self._postgres)

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with self.engine.connect() as base:
            connection = base.execution_options(postwarden_readonly=True)
            with connection.begin():
                yield SqlTransaction(connection, postgres=self._postgres)

    def dispose(self) -> None:
        self.engine.dispose()
