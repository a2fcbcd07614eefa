"""Input drift of one served model, as Prometheus gauges.

Triton traces every Nth request with its tensors; each pod's capture sidecar ships the trace files to
s3://<bucket>/inference_log/<model>/version=<v>/date=<yyyy-mm-dd>/<pod>-<n>-<epoch>.json. Every INTERVAL_MINUTES
this program reads the last CURRENT_HOURS of those requests and the REFERENCE_DAYS before them, turns each request's
input tensors into a row of numeric columns (<tensor>[<i>], at most MAX_COLUMNS), and asks Evidently which share
of the columns drifted (DriftedColumnsCount, its default per-column tests). It serves the result on :PORT/metrics:

  ml_model_input_drift_share{model}                  share of input columns that drifted (0-1)
  ml_model_input_drift_columns{model}                how many drifted
  ml_model_input_rows{model,window}                  requests compared (window: current, reference)
  ml_model_drift_last_run_timestamp_seconds{model}   when the last comparison finished

With fewer than MIN_ROWS requests in either window there is no comparison, so no share is published (the alert
cannot fire on nothing) while the rows and the timestamp still are.
"""
import datetime
import json
import os
import sys
import time

# Dtypes Triton's tracer writes as decimal numbers (server r26.08, src/tracer.cc, commit 6fa22ae0). It writes INT8 and
# UINT8 values as raw characters (an int8_t/uint8_t into a stream), and FP16 and BF16 as nothing at all: those are
# left out, as is BYTES.
NUMERIC_DTYPES = {"BOOL", "UINT16", "UINT32", "UINT64", "INT16", "INT32", "INT64", "FP32", "FP64"}


def setting(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        sys.exit(f"missing setting {name}")
    return value


def rows_from_traces(entries, max_columns):
    """Rows of input values from one trace file: each traced request's TENSOR_QUEUE_INPUT tensors, one row per batch item."""
    inputs = {}
    for e in entries:
        tensor = e.get("tensor")
        if e.get("activity") != "TENSOR_QUEUE_INPUT" or not tensor or tensor.get("dtype") not in NUMERIC_DTYPES:
            continue
        inputs.setdefault(e.get("id"), []).append(tensor)
    rows = []
    for tensors in inputs.values():
        batch = None
        columns = {}
        for t in sorted(tensors, key=lambda x: x.get("name", "")):
            shape = [int(d) for d in str(t.get("shape", "")).split(",") if d.strip()]
            try:
                values = [float(v) for v in str(t.get("data", "")).split(",") if v.strip()]
            except ValueError:
                # Not numbers after all (a format this program does not know): skip the tensor, keep the request.
                continue
            items = shape[0] if len(shape) >= 2 and shape[0] > 0 else 1
            if not values or len(values) % items:
                continue
            if batch is not None and items != batch:
                break
            batch = items
            width = len(values) // items
            columns[t["name"]] = [values[i * width:(i + 1) * width] for i in range(items)]
        for i in range(batch or 0):
            row = {}
            for name, per_item in columns.items():
                for j, v in enumerate(per_item[i]):
                    if len(row) >= max_columns:
                        break
                    row[f"{name}[{j}]"] = v
            if row:
                rows.append(row)
    return rows


def keys_between(s3, bucket, prefix, model, since, until):
    """Trace files of every version of the model last written in [since, until), by their date partitions."""
    root = f"{prefix}/{model}/"
    versions = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root, Delimiter="/"):
        versions.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
    day = since.date()
    while day <= until.date():
        for version in versions:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{version}date={day.isoformat()}/"):
                for o in page.get("Contents", []):
                    if since <= o["LastModified"] < until:
                        yield o["Key"]
        day += datetime.timedelta(days=1)


def window_rows(s3, bucket, prefix, model, since, until, max_columns, max_rows):
    rows = []
    for key in keys_between(s3, bucket, prefix, model, since, until):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            entries = json.loads(body)
        except ValueError:
            print(f"skipping {key}: not a JSON trace file", file=sys.stderr, flush=True)
            continue
        rows.extend(rows_from_traces(entries, max_columns))
        if len(rows) >= max_rows:
            break
    return rows[:max_rows]


def drift(current, reference, threshold):
    """Evidently's drifted-column count and share between two lists of rows (columns present in both)."""
    import pandas as pd
    from evidently import Report
    from evidently.metrics import DriftedColumnsCount

    cur, ref = pd.DataFrame(current), pd.DataFrame(reference)
    columns = sorted(set(cur.columns) & set(ref.columns))
    snapshot = Report([DriftedColumnsCount(columns=columns, drift_share=threshold)]).run(cur[columns], ref[columns])
    value = snapshot.dict()["metrics"][0]["value"]
    return float(value["count"]), float(value["share"])


def main():
    import boto3
    from prometheus_client import Gauge, start_http_server

    model = setting("MODEL")
    bucket, prefix = setting("BUCKET"), setting("PREFIX").strip("/")
    interval = int(setting("INTERVAL_MINUTES", "60")) * 60
    current_hours, reference_days = int(setting("CURRENT_HOURS", "24")), int(setting("REFERENCE_DAYS", "7"))
    threshold = float(setting("THRESHOLD", "0.5"))
    max_columns, max_rows, min_rows = int(setting("MAX_COLUMNS", "64")), int(setting("MAX_ROWS", "50000")), int(setting("MIN_ROWS", "100"))

    share = Gauge("ml_model_input_drift_share", "Share of the model's input columns whose distribution drifted", ["model"])
    columns = Gauge("ml_model_input_drift_columns", "Input columns that drifted", ["model"])
    rows = Gauge("ml_model_input_rows", "Captured requests compared", ["model", "window"])
    last_run = Gauge("ml_model_drift_last_run_timestamp_seconds", "When the last comparison finished", ["model"])
    start_http_server(int(setting("PORT", "9100")))
    s3 = boto3.client("s3")
    while True:
        started = time.time()
        try:
            now = datetime.datetime.now(datetime.timezone.utc)
            cut = now - datetime.timedelta(hours=current_hours)
            current = window_rows(s3, bucket, prefix, model, cut, now, max_columns, max_rows)
            reference = window_rows(s3, bucket, prefix, model, cut - datetime.timedelta(days=reference_days), cut, max_columns, max_rows)
            rows.labels(model, "current").set(len(current))
            rows.labels(model, "reference").set(len(reference))
            if len(current) >= min_rows and len(reference) >= min_rows:
                count, part = drift(current, reference, threshold)
                columns.labels(model).set(count)
                share.labels(model).set(part)
                print(f"{model}: {count:.0f} drifted column(s), share {part:.3f} ({len(current)} vs {len(reference)} requests)", flush=True)
            else:
                for gauge in (share, columns):
                    try:
                        gauge.remove(model)
                    except KeyError:
                        pass
                print(f"{model}: not enough captured requests to compare ({len(current)} current, {len(reference)} reference; need {min_rows})", flush=True)
            last_run.labels(model).set(time.time())
        except Exception as e:  # the next run retries; the stale timestamp raises DriftMonitorStale
            print(f"{model}: comparison failed: {e}", file=sys.stderr, flush=True)
        time.sleep(max(60, interval - (time.time() - started)))


if __name__ == "__main__":
    main()
