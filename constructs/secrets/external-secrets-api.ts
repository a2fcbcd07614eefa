import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { NamespaceSecretStore } from "./secret-store";

/**
 * What consumers need from the External Secrets Operator installed in the platform stack: a SecretStore of their own
 * namespace, backed by a role that reads only the secrets they grant it. The operator's own role reads no secret; it
 * may only assume the store roles created here.
 */
export interface IExternalSecrets {
  /** Creates the SecretStore of `namespace` and its role in `scope`'s stack, and lets the operator assume that role. */
  secretStore(scope: Construct, namespace: string): NamespaceSecretStore;
  /** The SecretStore a namespace already has, if any (one store per namespace: share it rather than create another). */
  existingStore(namespace: string): NamespaceSecretStore | undefined;
  /** What a release of SecretStores and ExternalSecrets in the operator's own stack must follow (CRDs, webhook, role). */
  ready(): ITerraformDependable[];
}
