/**
 * The capture sidecar of every Triton pod: Triton writes every Nth request's input and output tensors into numbered
 * trace files (`trace.json.<n>`, one per TRACES_PER_FILE traces); this program ships each finished file to
 * `s3://<bucket>/inference_log/<model>/version=<v>/date=<yyyy-mm-dd>/<pod>-<n>-<epoch>.json` and deletes it, so the
 * pod's disk holds only what is not shipped yet. It runs in MLflow's image (Python, boto3), which the platform pins
 * already; on SIGTERM it ships what is left before the pod goes. `npm run verify` parses it with python3.
 */
export const CAPTURE_SCRIPT = `"""Ships Triton's sampled request traces to S3 (see constructs/delivery/capture-script.ts)."""
import datetime
import glob
import os
import signal
import sys
import time

import boto3

TRACE_FILE = os.environ["TRACE_FILE"]
BUCKET = os.environ["BUCKET"]
PREFIX = os.environ["PREFIX"].strip("/")
MODEL = os.environ["MODEL"]
VERSION = os.environ["MODEL_VERSION"]
POD = os.environ["POD_NAME"]
SETTLE_SECONDS = 10
POLL_SECONDS = 15

s3 = boto3.client("s3")
stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def ship(settle):
    """Uploads every trace file untouched for \`settle\` seconds, oldest first, then deletes it."""
    shipped = 0
    for path in sorted(glob.glob(TRACE_FILE + ".*"), key=os.path.getmtime):
        mtime = os.path.getmtime(path)
        if time.time() - mtime < settle:
            continue
        day = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime("%Y-%m-%d")
        index = path.rsplit(".", 1)[-1]
        key = f"{PREFIX}/{MODEL}/version={VERSION}/date={day}/{POD}-{index}-{int(mtime)}.json"
        s3.upload_file(path, BUCKET, key, ExtraArgs={"ContentType": "application/json"})
        os.remove(path)
        shipped += 1
    return shipped


def main():
    signal.signal(signal.SIGTERM, stop)
    print(f"shipping {TRACE_FILE}.* to s3://{BUCKET}/{PREFIX}/{MODEL}/version={VERSION}/", flush=True)
    while not stopping:
        try:
            ship(SETTLE_SECONDS)
        except Exception as e:  # a failed upload is retried on the next poll; the file stays until shipped
            print(f"upload failed, retrying: {e}", file=sys.stderr, flush=True)
        for _ in range(POLL_SECONDS):
            if stopping:
                break
            time.sleep(1)
    print(f"stopping: shipped {ship(0)} remaining file(s)", flush=True)


if __name__ == "__main__":
    main()
`;
