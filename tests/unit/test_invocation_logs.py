"""Code every function shares logs as the function that runs it (butler.web.logs): two
functions in one process, as locally, each get their own service name, function name and
request id on the lines of the shared modules, whatever was imported first and whatever
thread runs them."""
import json
import threading

from aws_lambda_powertools import Logger

from butler.web.app import create_app, lambda_entry
from butler.web.cases import route_group
from butler.web.logs import logger as shared_logger
from infra.apigw import FakeLambdaContext, build_event


def function(service: str):
    """A function of its own (its root logger, its resolver) whose route logs through the
    shared modules' logger, as butler.web.app and the route groups do."""
    router, route_logger, _ = route_group()

    @router.get("/api/ping")
    def ping():
        shared_logger.info("shared line")
        route_logger.info("route line")
        return {"ok": True}

    return lambda_entry(create_app(router), Logger(service=service))


def lines(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        if line.startswith("{") and '"message"' in line:
            found.append(json.loads(line))
    return [line for line in found if line["message"] in ("shared line", "route line")]


def test_each_function_s_shared_lines_carry_its_own_service_name_and_request_id(capsys):
    first, second = function("first-service"), function("second-service")
    contexts = [FakeLambdaContext(function_name="FirstFunction"), FakeLambdaContext(function_name="SecondFunction"),
                FakeLambdaContext(function_name="FirstFunction")]

    for handler, context in zip((first, second, first), contexts):
        assert handler(build_event("GET", "/api/ping"), context)["statusCode"] == 200

    seen = [(line["service"], line["function_name"], line["function_request_id"]) for line in lines(capsys.readouterr().out)]
    expected = [(service, c.function_name, c.aws_request_id)
                for service, c in zip(("first-service", "second-service", "first-service"), contexts)]
    assert seen == [entry for entry in expected for _ in range(2)]  # the shared line, then the route's


def test_threads_running_different_functions_do_not_take_each_other_s_logger(capsys):
    handlers = {"one": function("one"), "two": function("two")}
    barrier = threading.Barrier(2)

    def run(name: str) -> None:
        barrier.wait()
        for _ in range(20):
            handlers[name](build_event("GET", "/api/ping"), FakeLambdaContext(function_name=name))

    threads = [threading.Thread(target=run, args=(name,)) for name in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    found = lines(capsys.readouterr().out)
    assert len(found) == 80
    assert all(line["service"] == line["function_name"] for line in found)


def test_outside_any_invocation_the_shared_logger_still_logs():
    shared_logger.debug("no invocation running")  # a powertools child logger; no error
