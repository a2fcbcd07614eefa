#!/usr/bin/env bash
# Builds images/nccl-tests and pushes it to the environment's account as ml-platform/nccl-tests:<tag>, the image the
# `nccl-tests-efa` runtime runs (constructs/resilience/nccl-tests.ts). Needs docker and AWS credentials for the account.
# Usage: scripts/nccl-tests-image.sh <account-id> <region> <tag>   (the tag: `npm run -s nccl-check -- --tag`)
set -euo pipefail
account="${1:?account id}"
region="${2:?region}"
tag="${3:?image tag}"
repo="ml-platform/nccl-tests"
registry="${account}.dkr.ecr.${region}.amazonaws.com"
here="$(cd "$(dirname "$0")/.." && pwd)"

aws ecr describe-repositories --region "$region" --repository-names "$repo" >/dev/null 2>&1 \
  || aws ecr create-repository --region "$region" --repository-name "$repo" --image-tag-mutability IMMUTABLE \
       --image-scanning-configuration scanOnPush=true --encryption-configuration encryptionType=KMS >/dev/null
aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
docker build --platform linux/amd64 -t "${registry}/${repo}:${tag}" "${here}/images/nccl-tests"
docker push "${registry}/${repo}:${tag}"
