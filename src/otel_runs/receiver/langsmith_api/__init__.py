"""Ring 2: LangSmith's ingest API on `otel-runs serve`, so apps using the LangSmith SDKs send
their runs here (`LANGSMITH_ENDPOINT`) and the runs go on as OTel spans or to the local store.

    routes.py     the ASGI app: /info, /runs/multipart, /runs/batch, /runs, PATCH /runs/{id},
                  /feedback, /stats; everything else goes to the OTLP app
    bodies.py     Content-Encoding (zstd, gzip, deflate) and reading a body by route
    multipart.py  multipart/form-data split into named parts (pure)
    items.py      requests -> items (post, patch, feedback, attachment), each checked (pure)
    sdk_body.py   the Python SDK's own multipart bodies -> items in one pass, else None (pure)
    codec.py      items <-> the bytes of a `run_batches` spool row
    merge.py      posts, patches, feedback, attachments of a run merged; settle, TTL (pure)
    service.py    RunIntake: durable accept, the forwarding thread, counters

The spool, the outbox with its retries and the runs -> spans mapping are the receiver's and
the library's own (`receiver/spool.py`, `receiver/forwarder.py`, `runs_to_spans/`); the
destinations are sinks (`sinks/otlp.py`, `sinks/sqlite.py`, `sinks/fanout.py`).
"""
