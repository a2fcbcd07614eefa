// The PyTorch resume example of docs/resilience.md, run as written by python3 with a stand-in `torch` (pickle for
// torch.load/torch.save): a user copies it, so it must resume from the newest readable checkpoint, falling back past a
// file cut short when the node died, and write checkpoints it can read back.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "ckpt-example-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const doc = readFileSync(join(repo, "docs/resilience.md"), "utf8");
const example = /A PyTorch job resuming from the latest checkpoint:\s*```python\n([\s\S]*?)```/.exec(doc)?.[1];

// Stand-ins for torch and for the user's model, optimizer, data loader and step; prints the step the loader resumed at.
const HARNESS = String.raw`
import json, pickle, sys, types
torch = types.ModuleType("torch")
def _load(path, map_location=None):
    with open(path, "rb") as f:
        return pickle.load(f)
def _save(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f)
torch.load, torch.save = _load, _save
sys.modules["torch"] = torch
class State:
    def __init__(self): self.s = {}
    def state_dict(self): return self.s
    def load_state_dict(self, s): self.s = s
starts = []
def loader(path, start):
    starts.append(start)
    return iter(range(int(sys.argv[2])))
g = {"build_model": State, "build_optimizer": State, "loader": loader, "train_step": lambda *a: None}
exec(open(sys.argv[1]).read(), g)
print(json.dumps({"resumedAt": starts[0], "step": g["step"]}))
`;

function run(ckpt: string, batches: number) {
  writeFileSync(join(dir, "example.py"), example!);
  writeFileSync(join(dir, "harness.py"), HARNESS);
  const r = spawnSync("python3", [join(dir, "harness.py"), join(dir, "example.py"), String(batches)], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DIR: ckpt, CHECKPOINT_INTERVAL_SECONDS: "0", DATASETS_DIR: dir, RANK: "0" },
  });
  return { status: r.status, stderr: r.stderr, result: r.status === 0 ? (JSON.parse(r.stdout.trim().split("\n").pop()!) as { resumedAt: number; step: number }) : undefined };
}

const pickled = (step: number) => {
  const r = spawnSync("python3", ["-c", `import pickle,sys; sys.stdout.buffer.write(pickle.dumps({"model": {}, "opt": {}, "step": ${step}}))`]);
  return r.stdout;
};

describe("docs/resilience.md PyTorch resume example", () => {
  test("the example is in the document", () => expect(example).toContain("torch.load"));

  test("starts at step 0 without checkpoints, then resumes where it saved", () => {
    const ckpt = join(dir, "fresh");
    expect(run(ckpt, 3)).toEqual({ status: 0, stderr: "", result: { resumedAt: 0, step: 3 } });
    expect(run(ckpt, 2).result).toEqual({ resumedAt: 3, step: 5 });
  });

  test("falls back past a newest checkpoint cut short to the one before", () => {
    const ckpt = join(dir, "torn");
    run(ckpt, 0);
    writeFileSync(join(ckpt, "step-000000005.pt"), pickled(5));
    writeFileSync(join(ckpt, "step-000000007.pt"), pickled(7).subarray(0, 10));
    const r = run(ckpt, 0);
    expect([r.status, r.result]).toEqual([0, { resumedAt: 5, step: 5 }]);
  });
});
