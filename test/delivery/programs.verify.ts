// The delivery programs run by python3 against stand-ins: the promotion program (staging a registered version into its
// immutable prefix, following an alias by patching the Rollout through a local stand-in of the Kubernetes API), the
// capture sidecar and the drift monitor's parsing of Triton's trace files. The stand-ins implement only the calls the
// programs make (boto3's S3 client, MLflow's client); each case also says what must fail. Python's parser checks all three.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RDS_CA_CERTIFICATES } from "../../constructs/catalog/rds-ca-certificates.generated";
import { CAPTURE_SCRIPT } from "../../constructs/delivery/capture-script";
import { PROMOTION_SCRIPT } from "../../constructs/delivery/promotion-script";
import { REPO_ROOT } from "../helpers/workflows";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const DRIFT_MONITOR = readFileSync(join(REPO_ROOT, "images/drift-monitor/drift_monitor.py"), "utf8");

/** boto3 and mlflow stand-ins: state in STUB_STATE (JSON), written back when the program exits. */
const STUBS: Record<string, string> = {
  "boto3.py": `
import atexit, io, json, os
_path = os.environ["STUB_STATE"]
_state = json.load(open(_path))
atexit.register(lambda: json.dump(_state, open(_path, "w")))
class _Paginator:
    def paginate(self, Bucket, Prefix, Delimiter=None):
        keys = sorted(k for k in _state["s3"].get(Bucket, {}) if k.startswith(Prefix))
        if Delimiter:
            prefixes = sorted({Prefix + k[len(Prefix):].split(Delimiter)[0] + Delimiter for k in keys if Delimiter in k[len(Prefix):]})
            yield {"CommonPrefixes": [{"Prefix": p} for p in prefixes]}
        else:
            yield {"Contents": [{"Key": k} for k in keys]}
class _S3:
    def get_paginator(self, name):
        return _Paginator()
    def list_objects_v2(self, Bucket, Prefix, MaxKeys=1000):
        return {"KeyCount": len([k for k in _state["s3"].get(Bucket, {}) if k.startswith(Prefix)][:MaxKeys])}
    def get_object(self, Bucket, Key):
        return {"Body": io.BytesIO(_state["s3"][Bucket][Key].encode())}
    def put_object(self, Bucket, Key, Body):
        _state["s3"].setdefault(Bucket, {})[Key] = Body.decode()
    def copy(self, CopySource, Bucket, Key):
        _state["s3"].setdefault(Bucket, {})[Key] = _state["s3"][CopySource["Bucket"]][CopySource["Key"]]
    def upload_file(self, Filename, Bucket, Key, ExtraArgs=None):
        _state["s3"].setdefault(Bucket, {})[Key] = open(Filename).read()
def client(name):
    assert name == "s3", name
    return _S3()
`,
  "mlflow/__init__.py": `
import json, os
from types import SimpleNamespace
_registry = json.load(open(os.environ["STUB_STATE"]))["registry"]
from mlflow.exceptions import MlflowException
class MlflowClient:
    def get_model_version(self, name, version):
        if str(version) not in _registry.get(name, {}).get("versions", {}):
            raise MlflowException(f"RESOURCE_DOES_NOT_EXIST: Model Version (name={name}, version={version}) not found")
        return SimpleNamespace(**_registry[name]["versions"][str(version)])
    def get_model_version_download_uri(self, name, version):
        return _registry[name]["versions"][str(version)]["uri"]
    def get_model_version_by_alias(self, name, alias):
        if name not in _registry:
            raise MlflowException(f"Registered Model with name={name} not found", error_code="RESOURCE_DOES_NOT_EXIST")
        if _registry[name].get("unavailable"):
            raise MlflowException("Internal error", error_code="INTERNAL_ERROR")
        if alias not in _registry[name]["aliases"]:
            raise MlflowException(f"Registered model alias {alias} not found.", error_code="INVALID_PARAMETER_VALUE")
        return SimpleNamespace(version=_registry[name]["aliases"][alias])
`,
  // As MLflow's: the error code's name, INTERNAL_ERROR unless given.
  "mlflow/exceptions.py": `
class MlflowException(Exception):
    def __init__(self, message, error_code="INTERNAL_ERROR"):
        super().__init__(message)
        self.error_code = error_code
`,
};

const MLFLOW = "mlp-dev-mlflow-artifacts-111122223333";
const TRITON = "mlp-dev-triton-models-111122223333";

interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly state: Any;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mlp-delivery-programs-"));
  for (const [file, text] of Object.entries(STUBS)) {
    mkdirSync(join(dir, "stubs", file, ".."), { recursive: true });
    writeFileSync(join(dir, "stubs", file), text);
  }
  mkdirSync(join(dir, "sa"));
  writeFileSync(join(dir, "sa", "token"), "stand-in-token\n");
  writeFileSync(join(dir, "sa", "ca.crt"), RDS_CA_CERTIFICATES["us-east-1"][0].pem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a program with the stand-ins first on the path, `state` as their data, and `env`. */
function runPython(program: string, state: Any, env: Record<string, string>): Promise<Run> {
  const statePath = join(dir, "state.json");
  writeFileSync(statePath, JSON.stringify(state));
  writeFileSync(join(dir, "program.py"), program);
  return new Promise((resolve) => {
    execFile("python3", [join(dir, "program.py")], { env: { PATH: process.env.PATH ?? "", PYTHONPATH: join(dir, "stubs"), STUB_STATE: statePath, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`, state: JSON.parse(readFileSync(statePath, "utf8")) });
    });
  });
}

/** A registry with churn versions 8 (ONNX with its own config) and 9 (ONNX only), the alias on 9. */
function registry(extra: Any = {}): Any {
  return {
    churn: {
      aliases: { champion: "9" },
      versions: {
        "8": { status: "READY", uri: "mlflow-artifacts:/1/models/m-8/artifacts" },
        "9": { status: "READY", uri: "mlflow-artifacts:/1/models/m-9/artifacts" },
        "10": { status: "PENDING_REGISTRATION", uri: "mlflow-artifacts:/1/models/m-10/artifacts" },
        "11": { status: "READY", uri: "mlflow-artifacts:/1/models/m-11/artifacts" },
        ...extra,
      },
    },
  };
}

const artifacts = {
  "1/models/m-8/artifacts/model.onnx": "onnx-8",
  "1/models/m-8/artifacts/MLmodel": "flavors: {onnx: {}}",
  "1/models/m-8/artifacts/config.pbtxt": 'name: "churn_onnx"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n',
  "1/models/m-9/artifacts/model.onnx": "onnx-9",
  "1/models/m-11/artifacts/model.pt": "torchscript",
};

const promotionEnv = (mode: Record<string, string>) => ({
  MODEL: "churn",
  REGISTERED_MODEL: "churn",
  ALIAS: "champion",
  REPOSITORY: `s3://${TRITON}/model_repository`,
  ARTIFACTS_BUCKET: MLFLOW,
  ROLLOUT_NAMESPACE: "triton",
  ROLLOUT: "triton-churn",
  KUBERNETES_SERVICEACCOUNT_DIR: join(dir, "sa"),
  ...mode,
});

describe("the programs are valid Python", () => {
  const parse = (program: string) => spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: program, encoding: "utf8" });
  test.each([
    ["promotion", PROMOTION_SCRIPT],
    ["capture", CAPTURE_SCRIPT],
    ["drift monitor", DRIFT_MONITOR],
  ])("%s", (_name, program) => {
    expect(parse(program).status).toBe(0);
  });

  test("the check fails a syntax error", () => {
    expect(parse(PROMOTION_SCRIPT.replace("def stage(", "def stage(:")).status).toBe(1);
  });
});

describe("promotion: staging a pinned version", () => {
  test("copies the version into its own prefix, names its config after the Triton model, and marks it complete last", async () => {
    const run = await runPython(PROMOTION_SCRIPT, { registry: registry(), s3: { [MLFLOW]: artifacts } }, promotionEnv({ MODE: "stage", VERSION: "8" }));
    expect(run.status).toBe(0);
    expect(Object.keys(run.state.s3[TRITON]).sort()).toEqual([
      "model_repository/churn/v8/.complete",
      "model_repository/churn/v8/churn/8/MLmodel",
      "model_repository/churn/v8/churn/8/model.onnx",
      "model_repository/churn/v8/churn/config.pbtxt",
    ]);
    expect(run.state.s3[TRITON]["model_repository/churn/v8/churn/config.pbtxt"]).toBe('name: "churn"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n');
    const again = await runPython(PROMOTION_SCRIPT, { registry: registry(), s3: { ...run.state.s3, [MLFLOW]: {} } }, promotionEnv({ MODE: "stage", VERSION: "8" }));
    expect([again.status, again.output]).toEqual([0, expect.stringContaining("already staged")]);
  });

  test("an ONNX model without a config gets Triton's onnxruntime backend", async () => {
    const run = await runPython(PROMOTION_SCRIPT, { registry: registry(), s3: { [MLFLOW]: artifacts } }, promotionEnv({ MODE: "stage", VERSION: "9" }));
    expect(run.state.s3[TRITON]["model_repository/churn/v9/churn/config.pbtxt"]).toBe('backend: "onnxruntime"\n');
  });

  test.each([
    ["a version not READY", "10", "churn version 10 is PENDING_REGISTRATION, not READY"],
    ["a version with neither config.pbtxt nor model.onnx", "11", "has no config.pbtxt and no model.onnx"],
    ["a version not registered (a new environment's empty MLflow)", "7", "churn version 7 is not registered in this environment's MLflow"],
  ])("fails %s, staging nothing", async (_what, version, message) => {
    const run = await runPython(PROMOTION_SCRIPT, { registry: registry(), s3: { [MLFLOW]: artifacts } }, promotionEnv({ MODE: "stage", VERSION: version }));
    expect(run.status).toBe(1);
    expect(run.output).toContain(message);
    expect(Object.keys(run.state.s3[TRITON] ?? {}).filter((k) => k.endsWith(".complete"))).toEqual([]);
  });

  test("fails a version whose artifacts are outside MLflow's bucket", async () => {
    const run = await runPython(PROMOTION_SCRIPT, { registry: registry({ "8": { status: "READY", uri: "s3://somebody-else/m/artifacts" } }), s3: { [MLFLOW]: artifacts } }, promotionEnv({ MODE: "stage", VERSION: "8" }));
    expect(run.status).toBe(1);
    expect(run.output).toContain("is stored in s3://somebody-else, not MLflow's bucket");
  });
});

describe("promotion: following the alias in development", () => {
  let server: Server;
  let rollout: Any;
  const patches: Array<{ url: string; type: string; body: Any }> = [];
  const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => resolve(text));
  });
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      // What the CronJob's Role allows: its Rollout (and its status) and its ScaledObject.
      const allowed = ["/apis/argoproj.io/v1alpha1/namespaces/triton/rollouts/triton-churn", "/apis/argoproj.io/v1alpha1/namespaces/triton/rollouts/triton-churn/status", "/apis/keda.sh/v1alpha1/namespaces/triton/scaledobjects/triton-churn"];
      const authorized = req.headers.authorization === "Bearer stand-in-token" && allowed.includes(String(req.url));
      if (!authorized) return void res.writeHead(403).end("{}");
      if (req.method === "PATCH") patches.push({ url: String(req.url).replace(/^.*\/(rollouts|scaledobjects)\//, "$1/"), type: String(req.headers["content-type"]), body: JSON.parse(await body(req)) });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(rollout));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const follow = (reg: Any = registry()) => {
    const address = server.address() as { port: number };
    return runPython(PROMOTION_SCRIPT, { registry: reg, s3: { [MLFLOW]: artifacts } }, promotionEnv({ MODE: "follow", KUBERNETES_API: `http://127.0.0.1:${address.port}` }));
  };
  const withRollout = (version: string, status: Any) => {
    patches.length = 0;
    rollout = { spec: { template: { metadata: { annotations: { "ml-platform.io/model-version": version } } } }, status };
  };

  test("stages the version the alias names and patches the Rollout's version annotation, which starts the canary", async () => {
    withRollout("8", { phase: "Healthy" });
    const run = await follow();
    expect(run.status).toBe(0);
    expect(run.state.s3[TRITON]["model_repository/churn/v9/.complete"]).toBeDefined();
    expect(patches).toEqual([{ url: "rollouts/triton-churn", type: "application/merge-patch+json", body: { spec: { template: { metadata: { annotations: { "ml-platform.io/model-version": "9" } } } } } }]);
    expect(run.output).toContain("version 8 -> 9");
  });

  test("waits while a rollout is in progress", async () => {
    withRollout("8", { phase: "Paused" });
    const run = await follow();
    expect([run.status, patches, run.state.s3[TRITON]]).toEqual([0, [], undefined]);
    expect(run.output).toContain("still rolling out");
  });

  test("from the seed version 0 (no pods): names the version, promotes it in full, then lets KEDA start its pods", async () => {
    withRollout("0", { phase: "Progressing" });
    const run = await follow();
    expect(run.status).toBe(0);
    expect(patches.map((p) => [p.url, p.type, p.body])).toEqual([
      ["rollouts/triton-churn", "application/merge-patch+json", { spec: { template: { metadata: { annotations: { "ml-platform.io/model-version": "9" } } } } }],
      ["rollouts/triton-churn/status", "application/merge-patch+json", { status: { promoteFull: true } }],
      ["scaledobjects/triton-churn", "application/merge-patch+json", { metadata: { annotations: { "autoscaling.keda.sh/paused-replicas": null } } }],
    ]);
    expect(run.output).toContain("first version 9, promoted in full");
  });

  test.each([
    ["the alias is not set yet", () => { const r = registry(); r.churn.aliases = {}; return r; }],
    ["the registered model does not exist yet (a new environment's empty MLflow)", () => ({})],
  ])("exits 0 when %s, touching nothing", async (_what, reg) => {
    withRollout("0", { phase: "Healthy" });
    const run = await follow(reg());
    expect([run.status, patches, run.state.s3[TRITON]]).toEqual([0, [], undefined]);
    expect(run.output).toContain("alias not set: churn@champion names no version");
  });

  test("fails when MLflow fails for another reason: that is no missing alias", async () => {
    withRollout("8", { phase: "Healthy" });
    const reg = registry();
    reg.churn.unavailable = true;
    const run = await follow(reg);
    expect([run.status, patches]).toEqual([1, []]);
    expect(run.output).toContain("Internal error");
  });

  test("leaves a version the analysis aborted alone until the alias moves", async () => {
    withRollout("9", { phase: "Degraded", abort: true });
    const run = await follow();
    expect([run.status, patches]).toEqual([0, []]);
    expect(run.output).toContain("which the canary analysis rolled back");
  });
});

describe("capture sidecar and drift monitor", () => {
  test("the sidecar ships finished trace files by model, version and day, and deletes them", async () => {
    const traces = join(dir, "traces");
    mkdirSync(traces, { recursive: true });
    for (const n of [0, 1]) writeFileSync(join(traces, `trace.json.${n}`), `[{"id": ${n}}]`);
    utimesSync(join(traces, "trace.json.0"), 1_700_000_000, 1_700_000_000);
    utimesSync(join(traces, "trace.json.1"), 1_700_000_000, 1_700_000_000);
    const program = CAPTURE_SCRIPT.replace('if __name__ == "__main__":\n    main()', "print(ship(SETTLE_SECONDS))");
    const run = await runPython(program, { s3: {} }, { TRACE_FILE: join(traces, "trace.json"), BUCKET: TRITON, PREFIX: "inference_log", MODEL: "churn", MODEL_VERSION: "8", POD_NAME: "triton-churn-7c5b-x" });
    expect(run.output.trim()).toBe("2");
    expect(Object.keys(run.state.s3[TRITON]).sort()).toEqual([
      "inference_log/churn/version=8/date=2023-11-14/triton-churn-7c5b-x-0-1700000000.json",
      "inference_log/churn/version=8/date=2023-11-14/triton-churn-7c5b-x-1-1700000000.json",
    ]);
    expect(spawnSync("ls", [traces], { encoding: "utf8" }).stdout).toBe("");
  });

  test("the drift monitor turns each traced request's numeric input tensors into rows, one per batch item", async () => {
    const trace = [
      { id: 1, model_name: "churn", model_version: 8 },
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "features", data: "0.1,0.2,0.3,0.4", shape: "2,2", dtype: "FP32" } },
      { id: 1, activity: "TENSOR_BACKEND_OUTPUT", tensor: { name: "score", data: "0.9,0.1", shape: "2,1", dtype: "FP32" } },
      { id: 2, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "text", data: "abc", shape: "1", dtype: "BYTES" } },
    ];
    const program = `${DRIFT_MONITOR.replace('if __name__ == "__main__":\n    main()', "")}\nimport json\nprint(json.dumps(rows_from_traces(json.loads(${JSON.stringify(JSON.stringify(trace))}), 64)))\n`;
    const run = await runPython(program, { s3: {} }, {});
    expect(run.status).toBe(0);
    expect(JSON.parse(run.output)).toEqual([
      { "features[0]": 0.1, "features[1]": 0.2 },
      { "features[0]": 0.3, "features[1]": 0.4 },
    ]);
  });

  test("tensors Triton's tracer does not write as numbers are skipped, not fatal: INT8/UINT8 as raw characters, FP16/BF16 empty", async () => {
    // As src/tracer.cc (r26.08) writes them: an int8_t or uint8_t streamed as a character, FP16/BF16 with no data.
    const trace = [
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "age", data: "41", shape: "1,1", dtype: "INT32" } },
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "flags", data: "\u0001,a", shape: "1,2", dtype: "INT8" } },
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "pixels", data: "\u00ff,b", shape: "1,2", dtype: "UINT8" } },
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "embedding", data: "", shape: "1,4", dtype: "FP16" } },
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "logits", data: "", shape: "1,4", dtype: "BF16" } },
      // A numeric dtype whose data is not numbers: skipped, the rest of the request kept.
      { id: 1, activity: "TENSOR_QUEUE_INPUT", tensor: { name: "zscore", data: "0.5,oops", shape: "1,2", dtype: "FP32" } },
    ];
    const program = `${DRIFT_MONITOR.replace('if __name__ == "__main__":\n    main()', "")}\nimport json\nprint(json.dumps(rows_from_traces(json.loads(${JSON.stringify(JSON.stringify(trace))}), 64)))\n`;
    const run = await runPython(program, { s3: {} }, {});
    expect([run.status, JSON.parse(run.output)]).toEqual([0, [{ "age[0]": 41 }]]);
  });
});
