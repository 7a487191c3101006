"""moto server as our local AWS, with DynamoDB's atomicity.

DynamoDB applies each request atomically: a conditional write or a transaction sees no
other write half-done. moto's threaded server runs requests side by side and checks a
condition before it writes without a lock, so two racing conditional writes can both
succeed there. Serialising DynamoDB requests restores what the service guarantees; other
services keep running in parallel.

moto also backs up a whole table once per item of a transaction, in case it must roll
back; a transaction of three items on one table copies it three times. The backups are
identical (nothing runs in between), so one copy per table and transaction is made.
"""
from __future__ import annotations

import logging
import threading

_lock = threading.RLock()
_patched = False
_listeners: list = []  # callables told the name of every DynamoDB action served


def listen(listener) -> None:
    """Tell ``listener(action)`` the name of every DynamoDB request from now on (tests count
    requests per operation); ``unlisten`` stops it."""
    _listeners.append(listener)


def unlisten(listener) -> None:
    _listeners.remove(listener)


def _atomic_dynamodb() -> None:
    global _patched
    if _patched:
        return
    from moto.dynamodb.responses import DynamoHandler

    unlocked = DynamoHandler.call_action

    def call_action(self):  # one DynamoDB request at a time, like the real service per item
        with _lock:
            for listener in list(_listeners):
                listener(self._get_action())
            return unlocked(self)

    DynamoHandler.call_action = call_action
    _copy_tables_once_per_transaction()
    _patched = True


def _copy_tables_once_per_transaction() -> None:
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    transact = backend.transact_write_items

    def transact_write_items(self, transact_items):
        copies: dict[int, Table] = {}

        def deepcopy(obj, memo=None):
            if isinstance(obj, Table):
                if id(obj) not in copies:
                    copies[id(obj)] = copy.deepcopy(obj, memo)
                return copies[id(obj)]
            return copy.deepcopy(obj, memo)

        module_copy = models.copy
        models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
        try:  # DynamoDB requests run one at a time (above): no other request sees the shim
            return transact(self, transact_items)
        finally:
            models.copy = module_copy

    backend.transact_write_items = transact_write_items


def start() -> tuple[object, str]:
    """Start a moto server on a free loopback port; return it and its endpoint URL."""
    from moto.server import ThreadedMotoServer

    _atomic_dynamodb()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"
