// The machine-readable review (`npm run review -- --json`). Its JSON Schema is review.schema.json beside this file;
// bump REVIEW_SCHEMA_VERSION and the schema's version together whenever a field changes meaning or goes away.

/** Version of the review's JSON shape (`schemaVersion`), matching review.schema.json. */
export const REVIEW_SCHEMA_VERSION = 1;

/** What Terraform will do to one resource, as far as the review can tell. */
export type Action = "create" | "update" | "may-replace" | "replace" | "delete" | "no-op";

/** One changed attribute, values rendered for a reviewer (secrets masked, references readable). */
export interface AttributeChange {
  readonly path: string;
  /** Single values: before and after; absent means unset. */
  readonly from?: string;
  readonly to?: string;
  /** Lists: items added and removed (the rest unchanged). */
  readonly added?: string[];
  readonly removed?: string[];
  /** Why this attribute matters: "forces replacement", "may force replacement (...)". */
  readonly note?: string;
}

/** How a stateful resource is protected when Terraform destroys it. */
export interface Protection {
  /** lifecycle.prevent_destroy: the plan fails instead of destroying. */
  readonly preventDestroy: boolean;
  /** One line per safeguard or loss: "final snapshot mlp-prod-mlflow-final", "no final snapshot (skip_final_snapshot)". */
  readonly notes: string[];
}

/** One resource the change touches. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** Construct path inside its stack ("ml-data/mlflow-db/instance"). */
  readonly name: string;
  /** Physical name when the configuration sets one (bucket, identifier, name). */
  readonly physicalName?: string;
  readonly action: Action;
  /** Why it is replaced or may be: force-new attributes, a renamed construct, Terraform's replace_paths. */
  readonly reasons: string[];
  readonly stateful: boolean;
  /** What destroying it loses, for stateful types ("the MLflow database's data"). */
  readonly loses?: string;
  readonly protection?: Protection;
  readonly attributes: AttributeChange[];
  /** The address this resource had on the base (a renamed construct). */
  readonly movedFrom?: string;
  /** "synth": inferred from the synthesized configurations; "plan": Terraform's plan decided the action. */
  readonly source: "synth" | "plan";
  /** When Terraform's plan disagrees with the offline guess, what each said ("no-op": the plan changes nothing). */
  readonly disagreement?: string;
}

/** IAM grants per role (inline policies, trust policy, managed policy attachments, EKS access policies). */
export interface IamChange {
  readonly role: string;
  readonly granted: string[];
  readonly revoked: string[];
}

/** A Helm release's chart version and values. */
export interface HelmChange {
  readonly release: string;
  readonly namespace: string;
  readonly chart?: { readonly from: string; readonly to: string };
  readonly values: AttributeChange[];
}

/** A Kubernetes object rendered by an in-repo chart, identified by kind and name. */
export interface ObjectChange {
  readonly release: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly action: "create" | "update" | "delete";
  readonly attributes: AttributeChange[];
}

/** A Karpenter NodePool whose limits change or whose nodes are all replaced. */
export interface NodePoolChange {
  readonly nodePool: string;
  readonly limits?: { readonly from: Record<string, unknown> | null; readonly to: Record<string, unknown> | null };
  /** Why every node of the pool is replaced (template or EC2NodeClass drift, pool removed). */
  readonly rolls?: string;
}

/** Counts per stack, the way Terraform's plan summary counts them. */
export interface Counts {
  readonly add: number;
  readonly change: number;
  readonly replace: number;
  readonly destroy: number;
}

/** Everything the change does to one stack. */
export interface StackReview {
  readonly stack: string;
  readonly environment: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly counts: Counts;
  readonly resources: ResourceChange[];
  readonly iam: IamChange[];
  readonly helm: HelmChange[];
  readonly objects: ObjectChange[];
  readonly nodePools: NodePoolChange[];
  /** The `terraform show -json` file merged into this stack, when one was given. */
  readonly plan?: string;
}

/** What could break, one line each, most severe first. */
export interface Banner {
  readonly kind:
    | "tests-failed"
    | "plan-fails"
    | "data-loss"
    | "may-replace"
    | "replace"
    | "iam-widened"
    | "security"
    | "budget"
    | "chart-major"
    | "node-roll"
    | "plan-disagreement"
    | "model-version";
  readonly severity: "critical" | "warning" | "notice";
  readonly environment?: string;
  readonly stack?: string;
  readonly subject?: string;
  readonly message: string;
  /** For a banner that folds a new environment's findings: each of them. */
  readonly details?: string[];
}

/** The worst-case cost ceiling per environment before and after, and its budget. */
export interface CostChange {
  readonly environment: string;
  readonly fromPer30Days: number | null;
  readonly toPer30Days: number | null;
  readonly budgetPer30Days?: number;
  readonly tier?: string;
  /** vLLM models and Ray at their maximum whose cost changed (inside the pool ceilings; environments/lib/serving-cost.ts). */
  readonly serving?: readonly { readonly key: string; readonly fromPer30Days: number | null; readonly toPer30Days: number | null }[];
  /** Queues (teams, pipelines) whose monthly GPU cost changed (environments/lib/team-cost.ts; scripts/lib/review/teams.ts). */
  readonly teams?: readonly TeamCostChange[];
  /** Pools whose GPU ledger changed (environments/lib/gpu-demand.ts). */
  readonly gpuPools?: readonly PoolLedgerChange[];
}

/** A queue whose monthly GPU cost changed (added: from null; removed: to null). */
export interface TeamCostChange {
  readonly queue: string;
  /** Worst case: nominal quota plus what it may borrow, for 30 days at On-Demand prices. */
  readonly fromPer30Days: number | null;
  readonly toPer30Days: number | null;
  readonly nominalFromPer30Days: number | null;
  readonly nominalToPer30Days: number | null;
}

/** A pool and unit whose ledger changed: what is claimed, what it holds, and each claimant that moved. */
export interface PoolLedgerChange {
  readonly pool: string;
  readonly unit: string;
  readonly claimed: { readonly from: number | null; readonly to: number | null };
  readonly capacity: { readonly from: number | null; readonly to: number | null };
  readonly claims: ReadonlyArray<{ readonly claimant: string; readonly from: number | null; readonly to: number | null }>;
}


/** Per environment: new (every stack added), removed, changed or unchanged, and its stacks' counts. */
export interface EnvironmentSummary {
  readonly environment: string;
  readonly status: "new" | "removed" | "changed" | "unchanged";
  readonly stacks: { readonly stack: string; readonly status: StackReview["status"]; readonly counts: Counts }[];
}

/** The whole review. */
export interface Review {
  readonly schemaVersion: typeof REVIEW_SCHEMA_VERSION;
  readonly base: { readonly ref: string; readonly commit: string };
  readonly head: string;
  /** The outcome of `npm test` the caller reports with `--tests` (the review runs whatever it was). */
  readonly tests?: "success" | "failure" | "cancelled" | "skipped";
  readonly summary: EnvironmentSummary[];
  readonly banners: Banner[];
  readonly stacks: StackReview[];
  readonly cost: CostChange[];
}
