import { spawnSync } from "node:child_process";
import { MLFLOW_DB_LOGIN_SCRIPT } from "../../constructs/ml/mlflow-db-login-script";

/** Python's own parser on a program (python3 must be on PATH; the Job runs Python 3.13 of the MLflow image). */
function pythonSyntax(program: string): { ok: boolean; error: string } {
  const run = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read(), 'mlflow_db_login.py')"], { input: program, encoding: "utf8", timeout: 30_000 });
  if (run.error) throw new Error(`python3 is needed for this check: ${run.error.message}`);
  return { ok: run.status === 0, error: run.stderr.trim().split("\n").pop() ?? "" };
}

describe("the MLflow database login program", () => {
  test("is valid Python", () => {
    expect(pythonSyntax(MLFLOW_DB_LOGIN_SCRIPT)).toEqual({ ok: true, error: "" });
  });

  test("the check fails a program with a syntax error", () => {
    expect(pythonSyntax(MLFLOW_DB_LOGIN_SCRIPT.replace("if current is None or rotate:", "if current is None or rotate"))).toEqual({ ok: false, error: expect.stringMatching(/SyntaxError/) });
  });
});
