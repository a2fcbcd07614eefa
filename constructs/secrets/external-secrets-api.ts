/**
 * What consumers need from the External Secrets Operator installed in the platform stack: the name of the
 * ClusterSecretStore backed by AWS Secrets Manager, and a way to let the operator read one more secret.
 * ESO reads with its own Pod Identity role, so every secret it syncs must be granted explicitly.
 */
export interface IExternalSecrets {
  /** Name of the ClusterSecretStore (provider: AWS Secrets Manager in the environment's region). */
  readonly clusterSecretStoreName: string;
  /** Allows the operator to read exactly this secret (and decrypt it with `kmsKeyArn` when given). */
  allowSecret(secretArn: string, kmsKeyArn?: string): void;
}
