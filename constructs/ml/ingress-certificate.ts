import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Construct } from "constructs";

/** Where the load balancer's certificate comes from (the environment's `ml.ingress.certificate`, `hostedZoneId`). */
export type CertificateSource =
  | { readonly type: "acm-dns"; readonly hostedZoneId: string }
  | { readonly type: "existing"; readonly arn: string }
  | { readonly type: "private-ca"; readonly certificateAuthorityArn: string };

export interface IngressCertificateProps {
  /** Hosts are `<service>.<domain>`: the certificate covers `*.<domain>`. */
  readonly domain: string;
  readonly source: CertificateSource;
}

/**
 * The certificate of the load balancer's HTTPS listener, for `*.<domain>`: a public ACM certificate validated by a DNS
 * record in the environment's Route 53 zone (and waited for, so no listener is created with a pending certificate),
 * an existing certificate, or a private certificate that ACM issues from an AWS Private CA and renews itself.
 * Public and ACM-issued private certificates cost nothing; the Private CA has a monthly fee (`npm run cost`).
 */
export class IngressCertificate extends Construct {
  /** ARN the Ingresses' `certificate-arn` annotation names. */
  readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: IngressCertificateProps) {
    super(scope, id);
    const source = props.source;
    const wildcard = `*.${props.domain}`;
    if (source.type === "existing") {
      this.certificateArn = source.arn;
      return;
    }
    if (source.type === "private-ca") {
      const cert = new AcmCertificate(this, "certificate", { domainName: wildcard, certificateAuthorityArn: source.certificateAuthorityArn, lifecycle: { createBeforeDestroy: true } });
      this.certificateArn = cert.arn;
      return;
    }
    // createBeforeDestroy: the listener keeps serving the old certificate until the new one is validated.
    const cert = new AcmCertificate(this, "certificate", { domainName: wildcard, validationMethod: "DNS", lifecycle: { createBeforeDestroy: true } });
    // One name, so one validation record (a set of one: cdktf indexes it through tolist).
    const option = cert.domainValidationOptions.get(0);
    const record = new Route53Record(this, "validation-record", {
      zoneId: source.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "validation", { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] });
    this.certificateArn = validation.certificateArn;
  }
}
