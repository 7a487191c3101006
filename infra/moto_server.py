"""moto server as our local AWS, with DynamoDB's atomicity.

DynamoDB applies each request atomically: a conditional write or a transaction sees no
other write half-done. moto's threaded server runs requests side by side and checks a
condition before it writes without a lock, so two racing conditional writes can both
succeed there. Serialising DynamoDB requests restores what the service guarantees; other
services keep running in parallel.

moto also backs up a whole table once per item of a transaction, in case it must roll
back; a transaction of three items on one table copies it three times. The backups are
identical (nothing runs in between), so one copy per table and transaction is made.

Fault injection (``inject``): the server answers chosen DynamoDB or SNS requests with the
service's own error response (status, body, headers as on the wire), so that botocore's
retries, PynamoDB's exceptions and our handling run exactly as they would against AWS.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

_lock = threading.RLock()
_patched = False
_listeners: list = []  # callables told the name of every DynamoDB action served
_faults_lock = threading.Lock()

# The HTTP status each service answers an error code with (DynamoDB: 400 for throttling
# and limits, 500 for its own faults; SNS: the status of its error model).
ERROR_STATUS = {
    "dynamodb": {
        "ProvisionedThroughputExceededException": 400,
        "ThrottlingException": 400,
        "RequestLimitExceeded": 400,
        "InternalServerError": 500,
        "ServiceUnavailable": 503,
        "TransactionCanceledException": 400,  # pass its CancellationReasons in ``fields``
        "ValidationException": 400,  # a request DynamoDB refuses: a bug, not an outage
    },
    "sns": {
        "Throttled": 429,
        "InternalError": 500,
    },
}


@dataclass(eq=False)
class Fault:
    """An injected error: the next ``times`` requests of ``service``'s ``action`` that
    ``match`` accepts (all of them without ``match``; ``times=None``: until removed) are
    answered with ``code``. ``answered`` counts the requests it answered. Use as a context
    manager, or call ``remove()``."""

    service: str
    action: str
    code: str
    times: Optional[int] = 1
    match: Optional[Callable[[dict[str, Any]], bool]] = None
    fields: dict[str, Any] = field(default_factory=dict)  # more members of the error body
    answered: int = field(default=0, init=False)

    def remove(self) -> None:
        with _faults_lock:
            if self in _faults:
                _faults.remove(self)

    @property
    def spent(self) -> bool:
        return self.times is not None and self.answered >= self.times

    def __enter__(self) -> "Fault":
        return self

    def __exit__(self, *_: object) -> None:
        self.remove()


_faults: list[Fault] = []


def inject(action: str, code: str, *, times: Optional[int] = 1,
           match: Optional[Callable[[dict[str, Any]], bool]] = None,
           service: str = "dynamodb", fields: Optional[dict[str, Any]] = None) -> Fault:
    """Answer ``action`` (``"PutItem"``, ``"Publish"`` …) with the error ``code`` (a key of
    ``ERROR_STATUS[service]``). ``match(params)`` sees the request's parameters (DynamoDB:
    the JSON body, e.g. ``params["TableName"]``; SNS: the form fields) and picks the
    requests to fail. Each failed request counts as one of ``times``, botocore's retries
    included: pass more than the client retries for a fault that outlasts them. ``fields``
    adds members to a DynamoDB error body, e.g. the ``CancellationReasons`` of a cancelled
    transaction."""
    if code not in ERROR_STATUS[service]:
        raise ValueError(f"no {service} error {code!r}; known: {sorted(ERROR_STATUS[service])}")
    _patch()
    fault = Fault(service, action, code, times, match, dict(fields or {}))
    with _faults_lock:
        _faults.append(fault)
    return fault


def clear_faults() -> None:
    """Remove every injected fault."""
    with _faults_lock:
        _faults.clear()


def _fault_for(service: str, action: str, params: dict[str, Any]) -> Optional[Fault]:
    with _faults_lock:
        for fault in list(_faults):
            if fault.service != service or fault.action != action or fault.spent:
                continue
            if fault.match is None or fault.match(params):
                fault.answered += 1
                if fault.spent:
                    _faults.remove(fault)
                return fault
    return None


def _error_response(fault: Fault) -> tuple[int, dict[str, str], str]:
    status = ERROR_STATUS[fault.service][fault.code]
    request_id = str(uuid.uuid4())
    message = f"injected fault: {fault.code}"
    if fault.service == "dynamodb":  # the JSON 1.0 protocol
        return status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": request_id}, \
            json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{fault.code}", "message": message,
                        **fault.fields})
    kind = "Receiver" if status >= 500 else "Sender"  # the query protocol (SNS)
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        f"<Error><Type>{kind}</Type><Code>{fault.code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>")


def _dynamodb_params(handler: Any) -> dict[str, Any]:
    try:
        return json.loads(handler.body or "{}") if isinstance(handler.body, str) else dict(handler.body or {})
    except ValueError:
        return {}


def listen(listener) -> None:
    """Tell ``listener(action)`` the name of every DynamoDB request from now on (tests count
    requests per operation); ``unlisten`` stops it."""
    _listeners.append(listener)


def unlisten(listener) -> None:
    _listeners.remove(listener)


def _patch() -> None:
    global _patched
    with _lock:
        if _patched:
            return
        from moto.dynamodb.responses import DynamoHandler
        from moto.sns.responses import SNSResponse

        unlocked = DynamoHandler.call_action

        def call_action(self):  # one DynamoDB request at a time, like the real service per item
            with _lock:
                action = self._get_action()
                for listener in list(_listeners):
                    listener(action)
                fault = _fault_for("dynamodb", action, _dynamodb_params(self)) if _faults else None
                return _error_response(fault) if fault else unlocked(self)

        sns_call_action = SNSResponse.call_action

        def sns_call(self):
            fault = _fault_for("sns", self._get_action(), {
                k: v[0] if isinstance(v, list) and v else v for k, v in self.querystring.items()
            }) if _faults else None
            return _error_response(fault) if fault else sns_call_action(self)

        DynamoHandler.call_action = call_action
        SNSResponse.call_action = sns_call
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

    _patch()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"
