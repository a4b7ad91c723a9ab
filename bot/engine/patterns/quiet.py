"""Keep bandit's unused output formatters from logging errors at import.

Importing bandit loads every output formatter plugin; the SARIF one needs an optional package
(`sarif_om`) and, without it, stevedore logs an ERROR. The bot never formats bandit output, so
that line would only be a false alarm in the App's logs. Only that exact message is dropped.
"""

from __future__ import annotations

import logging

_UNUSED_FORMATTERS = frozenset({"sarif"})


class _DropUnusedFormatterErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (
            record.msg.startswith("Could not load") and args and args[0] in _UNUSED_FORMATTERS
        )


def quiet_bandit_formatters() -> None:
    logger = logging.getLogger("stevedore.extension")
    if not any(isinstance(f, _DropUnusedFormatterErrors) for f in logger.filters):
        logger.addFilter(_DropUnusedFormatterErrors())
