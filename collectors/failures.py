"""Why a batch failed to store: the database (wait and retry) or a message in it (isolate and dead-letter it)."""

from __future__ import annotations

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# PostgreSQL SQLSTATEs (Appendix A, "PostgreSQL Error Codes") that say the database, not the data, is at
# fault: retried with the batch kept. The rest (22 data exception, 23 integrity, 42804 datatype mismatch,
# 54 program limit exceeded, XX000…) are taken as the message's doing: it is isolated and dead-lettered.
TRANSIENT_SQLSTATE_CLASSES = frozenset(
    {
        "08",  # connection exception
        "40",  # transaction rollback: serialization failure, deadlock
        "53",  # insufficient resources: disk full, out of memory, too many connections
        "57",  # operator intervention: admin shutdown, cannot connect now, statement cancelled
        "58",  # system error (I/O)
    }
)
TRANSIENT_SQLSTATES = frozenset(
    {
        "55P03",  # lock not available
        "55006",  # object in use
        "25P03",  # idle-in-transaction timeout (the session is gone)
        "42P01",  # undefined table   } a migration not run yet, or a grant missing: the operator's to fix;
        "42703",  # undefined column  } dead-lettering every message meanwhile would lose nothing but help
        "42501",  # insufficient privilege  } no one
        "XX001",  # data corrupted
        "XX002",  # index corrupted
    }
)


def is_transient(exc: BaseException) -> bool:
    """True if the database is away or busy (lost connection, lock timeout, serialization failure…): keep
    the batch and retry. False when the data itself was refused (encoding, constraint, value out of range)
    or storing it raised anything other than a database error: a message is at fault."""
    if isinstance(exc, PoolTimeoutError | DisconnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False  # UnicodeEncodeError, TypeError, ValueError…, and StatementError wrapping them
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)  # psycopg; SQLite has none
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES or sqlstate in TRANSIENT_SQLSTATES
    # SQLite (and a psycopg error raised before reaching the server): "database is locked", disk I/O, a
    # closed connection are OperationalError/InterfaceError; DataError, IntegrityError… are the data's.
    return isinstance(exc, OperationalError | InterfaceError)


def describe(exc: BaseException) -> str:
    """The reason a message could not be stored, for its dead letter: the driver's words, not SQLAlchemy's
    wrapper with its SQL and parameters."""
    cause: BaseException = exc
    if isinstance(exc, StatementError) and exc.orig is not None:
        cause = exc.orig
    text = " ".join(str(cause).split())  # one line
    return f"could not be stored: {type(cause).__name__}: {text}"[:500]
