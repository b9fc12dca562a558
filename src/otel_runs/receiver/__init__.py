"""Ring 2: `otel-runs serve`, an OTLP endpoint that spools spans durably and forwards them as runs.

    intake.py     the contract between wire front ends and the spool
    service.py    ReceiverService: the Intake the front ends use; start(), stop(), stats()
    spool.py      the SQLite WAL spool: one row per acknowledged request, fsync, size limit
    codec.py      span records and log events <-> the bytes a spool row holds
    pipeline.py   spool -> log-event join -> TraceAssembler -> outbox, marks after delivery
    forwarder.py  the outbox: sink writes, retries with backoff
    settings.py   the service's environment variables
    server.py     runs both front ends (uvicorn thread + grpcio), graceful stop, SignalWatch
    http_app.py   OTLP/HTTP as a raw ASGI app: /v1/traces, /v1/logs, /v1/metrics
    grpc_server.py  OTLP/gRPC Trace/Logs/MetricsService Export on raw bytes
    ingress.py    what both front ends share: intake, limits, auth, in-flight count, pool
    export_call.py  one export: inflate, decode, validate, accept -> Accepted | Refused
    replies.py    export responses and google.rpc.Status bodies, protobuf and OTLP/JSON
    limits.py     size/in-flight limits, bounded gzip/deflate inflation, default ports
    auth.py       optional bearer token, constant-time compare, never shown
    logs_decode.py  OTLP logs -> LogEvent (decoding itself: otlp/decode_logs.py)
"""
