"""No call answers gRPC's bare "Exception calling application": an error a servicer did not
expect becomes INTERNAL with a sentence naming the call and the error, and the traceback goes
to the server's log. Errors a servicer reports itself (context.abort) pass unchanged."""

from __future__ import annotations

import logging

import grpc

log = logging.getLogger(__name__)


class ErrorGuard(grpc.ServerInterceptor):
    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.request_streaming:
            return handler  # no client-streaming methods here
        method = (handler_call_details.method or "").rsplit("/", 1)[-1]
        if handler.response_streaming:
            inner_stream = handler.unary_stream

            def stream(request, context):
                try:
                    yield from inner_stream(request, context)
                except Exception as exc:
                    _answer(exc, method, context)

            return handler._replace(unary_stream=stream)
        inner = handler.unary_unary

        def unary(request, context):
            try:
                return inner(request, context)
            except Exception as exc:
                _answer(exc, method, context)

        return handler._replace(unary_unary=unary)


def _answer(exc: Exception, method: str, context) -> None:
    if context.code() is not None:  # the servicer chose its answer (context.abort)
        raise exc
    log.error("%s failed unexpectedly", method, exc_info=exc)
    context.abort(
        grpc.StatusCode.INTERNAL,
        f"{method} failed unexpectedly ({type(exc).__name__}: {exc}). Nothing was written; "
        "the server's log has the details: please report it with that log",
    )
