"""The runs -> spans oracle: today's `run_to_record` and `encode_request` output, recorded."""
