// The AWS behaviour the recovery budget relies on, each figure with the document, the section and the words it
// comes from (read on SOURCES_READ_ON). Where AWS states no figure the budget counts 0 s and says so: the
// orchestrator's measured phases (FailoverDecisionSeconds, FailoverWritableSeconds) include that time, so a
// drill shows the real figure next to the budget on the dashboards.

export const SOURCES_READ_ON = "2026-12-02";

export interface AwsFact {
  readonly seconds: number;
  /** Short name for the budget table; the full citation is listed under it. */
  readonly label: string;
  readonly document: string;
  readonly section: string;
  /** What the document says (its words where quoted). */
  readonly says: string;
  readonly url: string;
}

const CLOUDWATCH_ALARMS =
  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html";

export const AWS_FACTS = {
  highResolutionAlarmEvaluation: {
    seconds: 10,
    label: "CloudWatch: 10 s alarms evaluated every 10 s",
    document: "Amazon CloudWatch User Guide",
    section: "Using Amazon CloudWatch alarms > Alarm evaluation",
    says: '"If the alarm period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds."',
    url: CLOUDWATCH_ALARMS,
  },
  standardAlarmEvaluation: {
    seconds: 60,
    label: "CloudWatch: minute alarms evaluated every minute",
    document: "Amazon CloudWatch User Guide",
    section: "Using Amazon CloudWatch alarms > Alarm evaluation",
    says: '"For any period of one minute or longer, an alarm is evaluated every minute"',
    url: CLOUDWATCH_ALARMS,
  },
  compositeAlarmEvaluation: {
    seconds: 0,
    label: "CloudWatch composite: no delay stated (measured)",
    document: "Amazon CloudWatch User Guide",
    section: "Creating a composite alarm",
    says: "composite alarms determine their state by watching the alarm states of other alarms; no period " +
      "and no delay of their own are stated (counted 0 s, measured in FailoverDecisionSeconds)",
    url: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html",
  },
  eventBridgeDelivery: {
    seconds: 0,
    label: "EventBridge: delivery guaranteed, no latency stated (measured)",
    document: "Amazon CloudWatch User Guide",
    section: "Alarm events and EventBridge",
    says: '"CloudWatch guarantees the delivery of alarm state change events to EventBridge"; no latency is ' +
      "stated (counted 0 s, measured in FailoverWritableSeconds)",
    url: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html",
  },
  lambdaInit: {
    seconds: 10,
    label: "Lambda: Init phase limited to 10 s",
    document: "AWS Lambda Developer Guide",
    section: "Understanding the Lambda execution environment lifecycle > Init phase",
    says: '"The Init phase is limited to 10 seconds."',
    url: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html",
  },
  asyncRetry: {
    seconds: 60,
    label: "Lambda async: 1 min before retry 1 (2 min before retry 2)",
    document: "AWS Lambda Developer Guide",
    section: "How Lambda handles errors and retries with asynchronous invocation",
    says: "on a function error Lambda runs it two more times, waiting one minute before the second attempt " +
      "and two minutes before the third",
    url: "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html",
  },
  auroraGlobalRto: {
    seconds: Number.NaN, // the budget uses the orchestrator's AURORA_PROMOTION_SECONDS setting
    label: 'Aurora: global database RTO "in the order of minutes"',
    document: "Amazon Aurora User Guide",
    section:
      "Using switchover or failover in Amazon Aurora Global Database > Planning for business continuity and disaster recovery",
    says: '"For Aurora Global Database, RTO can be in the order of minutes."',
    url:
      "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html",
  },
  auroraDnsTtl: {
    seconds: 5,
    label: "Aurora: endpoint DNS TTL 5 s",
    document: "Amazon Aurora MySQL Database Administrator's Handbook (AWS whitepaper)",
    section: "DNS caching",
    says: "Aurora DNS zones use a Time-To-Live of five seconds",
    url:
      "https://docs.aws.amazon.com/whitepapers/latest/amazon-aurora-mysql-db-admin-handbook/dns-caching.html",
  },
  route53RequestTimeout: {
    seconds: 6,
    label: "Route 53: HTTPS check fails after 4 s connect + 2 s answer",
    document: "Amazon Route 53 Developer Guide",
    section: "How Amazon Route 53 determines whether a health check is healthy",
    says: "an HTTP(S) health checker must connect within four seconds and get a 2xx/3xx status within two " +
      "seconds after connecting",
    url:
      "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html",
  },
  aliasTtl: {
    seconds: 60,
    label: "Route 53: ELB alias answers have a fixed 60 s TTL",
    document: "Amazon Route 53 FAQs",
    section: "DNS Failover (adjusting TTLs)",
    says: "DNS failover for ELB endpoints uses alias records, whose TTL is fixed at 60 seconds",
    url: "https://aws.amazon.com/route53/faqs/",
  },
  s3Rtc: {
    seconds: 900,
    label: "S3 RTC: 99.99 % of objects within 15 min",
    document: "Amazon S3 User Guide",
    section: "Meeting compliance requirements with S3 Replication Time Control",
    says: "S3 RTC replicates 99.99 percent of new objects within 15 minutes (SLA-backed)",
    url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html",
  },
} as const satisfies Record<string, AwsFact>;

export type AwsFactName = keyof typeof AWS_FACTS;

/** `AWS: <label>`: how a budget row names a documented figure (the citation list spells it out). */
export function citeFact(name: AwsFactName): string {
  return `AWS: ${AWS_FACTS[name].label}`;
}

/** The citation block printed under the budget table. */
export function citations(names: readonly AwsFactName[]): string[] {
  return [...new Set(names)].map((name) => {
    const fact = AWS_FACTS[name];
    return `- ${fact.label}: ${fact.document}, "${fact.section}" (read ${SOURCES_READ_ON}): ${fact.says} <${fact.url}>`;
  });
}
