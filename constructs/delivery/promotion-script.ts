/**
 * The promotion program, run by each model's promotion Job (reviewed: stage the pinned version) or CronJob (automatic:
 * follow the alias). It runs in MLflow's image (the MLflow client and boto3) as the model's own Pod Identity role,
 * which reads MLflow's artifact bucket and writes only `model_repository/<model>/`.
 *
 * Staging copies a registered version's artifacts into its own immutable Triton repository,
 * `model_repository/<model>/v<version>/<model>/{config.pbtxt, <version>/...}`, and writes `.complete` last, so a
 * prefix without it is never trusted and a staged one is never written again. `config.pbtxt` comes from the
 * version's artifacts (its `name` rewritten to the Triton model name), or is `backend: "onnxruntime"` for an ONNX
 * model (Triton completes the rest); anything else fails, naming what is missing.
 *
 * Following resolves the alias and, when it names another version than the Rollout's pod template, stages it and
 * patches the template's version annotation (a JSON merge patch through the Kubernetes API with the pod's own
 * token; RBAC allows get and patch on that one Rollout and its ScaledObject). An alias or registered model that does not
 * exist yet is no error: it says so and exits 0 (a new environment's MLflow is empty). It waits while a rollout is in
 * progress and does nothing for a version the canary analysis aborted until the alias moves. From the seed version 0
 * the Rollout is created with (no pods: its ScaledObject is paused at 0), there is nothing to compare a canary with:
 * the first promotion asks Argo for a full promotion (`status.promoteFull`, as `kubectl argo rollouts promote --full`)
 * and then ends the ScaledObject's pause, so KEDA starts the pods of the staged version. `npm run verify` parses it
 * with python3 and runs it against stand-ins for MLflow, S3 and the Kubernetes API.
 */
export const PROMOTION_SCRIPT = `"""Stages registered model versions into Triton's repository (see constructs/delivery/promotion-script.ts)."""
import json
import os
import re
import ssl
import sys
import urllib.parse
import urllib.request

import boto3
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

ANNOTATION = "ml-platform.io/model-version"
SEED_VERSION = "0"
PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas"
# What MLflow answers for a registered model (RESOURCE_DOES_NOT_EXIST) or an alias (INVALID_PARAMETER_VALUE) it lacks.
NOT_SET = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
SA_DIR = os.environ.get("KUBERNETES_SERVICEACCOUNT_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")


def env(name):
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"missing setting {name}")
    return value


def fail(message):
    print(f"promotion failed: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def split_s3(uri):
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key.strip("/")


def artifact_location(client, registered, version, artifacts_bucket):
    """The S3 prefix of a version's artifacts: MLflow proxies them (mlflow-artifacts:/<path> under its bucket)."""
    uri = client.get_model_version_download_uri(registered, version)
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "mlflow-artifacts":
        return artifacts_bucket, parsed.path.strip("/")
    if parsed.scheme == "s3":
        bucket, key = split_s3(uri)
        if bucket != artifacts_bucket:
            fail(f"{registered} version {version} is stored in s3://{bucket}, not MLflow's bucket {artifacts_bucket}")
        return bucket, key
    fail(f"{registered} version {version}: artifacts at {uri}, which is neither MLflow's proxied store nor its bucket")


def list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def exists(s3, bucket, key):
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0))


def stage(client, s3, model, registered, version, repository, artifacts_bucket):
    """Copies one registered version into its own Triton repository prefix; idempotent."""
    try:
        mv = client.get_model_version(registered, str(version))
    except MlflowException as e:
        fail(f"{registered} version {version} is not registered in this environment's MLflow ({e}): register it before the apply that names it")
    if mv.status != "READY":
        fail(f"{registered} version {version} is {mv.status}, not READY")
    repo_bucket, repo_prefix = split_s3(repository)
    dest = f"{repo_prefix}/{model}/v{version}"
    if exists(s3, repo_bucket, f"{dest}/.complete"):
        print(f"{model} version {version} is already staged at s3://{repo_bucket}/{dest}", flush=True)
        return
    src_bucket, src_prefix = artifact_location(client, registered, version, artifacts_bucket)
    keys = list_keys(s3, src_bucket, src_prefix)
    if not keys:
        fail(f"{registered} version {version} has no artifacts under s3://{src_bucket}/{src_prefix}/")
    config = None
    onnx = False
    for key in keys:
        rel = key[len(src_prefix) + 1:]
        if rel == "config.pbtxt":
            config = s3.get_object(Bucket=src_bucket, Key=key)["Body"].read().decode()
            continue
        onnx = onnx or rel == "model.onnx"
        s3.copy({"Bucket": src_bucket, "Key": key}, repo_bucket, f"{dest}/{model}/{version}/{rel}")
    if config is not None:
        config = re.sub(r'^\\s*name\\s*:\\s*"[^"]*"\\s*$', f'name: "{model}"', config, count=1, flags=re.M)
    elif onnx:
        config = 'backend: "onnxruntime"\\n'
    else:
        fail(f"{registered} version {version} has no config.pbtxt and no model.onnx: log Triton's config.pbtxt with the model")
    s3.put_object(Bucket=repo_bucket, Key=f"{dest}/{model}/config.pbtxt", Body=config.encode())
    s3.put_object(Bucket=repo_bucket, Key=f"{dest}/.complete", Body=f"{registered} version {version}\\n".encode())
    print(f"staged {registered} version {version} as s3://{repo_bucket}/{dest}/{model}", flush=True)


def kubernetes(method, path, body=None):
    host = os.environ.get("KUBERNETES_API", "https://kubernetes.default.svc")
    with open(f"{SA_DIR}/token") as f:
        token = f.read().strip()
    request = urllib.request.Request(host + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/merge-patch+json")
    context = ssl.create_default_context(cafile=os.environ.get("KUBERNETES_CA", f"{SA_DIR}/ca.crt"))
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.loads(response.read())


def follow(client, s3, model, registered, alias, repository, artifacts_bucket):
    """Promotes the version the alias names when it differs from the Rollout's."""
    try:
        version = str(client.get_model_version_by_alias(registered, alias).version)
    except MlflowException as e:
        if getattr(e, "error_code", None) not in NOT_SET:
            raise
        print(f"alias not set: {registered}@{alias} names no version in this environment's MLflow ({e}); nothing to promote", flush=True)
        return
    namespace = env("ROLLOUT_NAMESPACE")
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts/{env('ROLLOUT')}"
    rollout = kubernetes("GET", path)
    current = rollout["spec"]["template"].get("metadata", {}).get("annotations", {}).get(ANNOTATION)
    status = rollout.get("status", {})
    if current == version:
        if status.get("abort"):
            print(f"{alias} names version {version}, which the canary analysis rolled back: move the alias to promote again", flush=True)
        else:
            print(f"{alias} names version {version}, already the Rollout's", flush=True)
        return
    # The seed version (0) has no pods: nothing is rolling out to wait for.
    if current != SEED_VERSION and status.get("phase") in ("Progressing", "Paused") and not status.get("abort"):
        print(f"{alias} names version {version}; version {current} is still rolling out: next run", flush=True)
        return
    stage(client, s3, model, registered, version, repository, artifacts_bucket)
    kubernetes("PATCH", path, {"spec": {"template": {"metadata": {"annotations": {ANNOTATION: version}}}}})
    if current != SEED_VERSION:
        print(f"promoted {registered}@{alias}: version {current} -> {version}; the canary starts", flush=True)
        return
    # Nothing served yet: no canary to run against; then KEDA may start the staged version's pods.
    kubernetes("PATCH", path + "/status", {"status": {"promoteFull": True}})
    kubernetes("PATCH", f"/apis/keda.sh/v1alpha1/namespaces/{namespace}/scaledobjects/{env('ROLLOUT')}", {"metadata": {"annotations": {PAUSED_REPLICAS: None}}})
    print(f"promoted {registered}@{alias}: first version {version}, promoted in full (nothing was served before it)", flush=True)


def main():
    client = MlflowClient()
    s3 = boto3.client("s3")
    model, registered = env("MODEL"), env("REGISTERED_MODEL")
    repository, artifacts_bucket = env("REPOSITORY"), env("ARTIFACTS_BUCKET")
    if env("MODE") == "stage":
        stage(client, s3, model, registered, env("VERSION"), repository, artifacts_bucket)
    else:
        follow(client, s3, model, registered, env("ALIAS"), repository, artifacts_bucket)


if __name__ == "__main__":
    main()
`;
