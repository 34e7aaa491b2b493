import { SynthesizedApp } from "../checkout";
import { StackReview } from "../plan";

/** What a change does to the running cluster, beyond which resources change. */
export interface Finding {
  /** "danger": an outage or data loss; "warning": a disruption to plan for; "info": worth knowing. */
  readonly severity: "danger" | "warning" | "info";
  /** One sentence naming the stack and what happens. */
  readonly text: string;
  /**
   * The review refuses the change (exits 1): applied as it stands, it stops the cluster.
   * @default false
   */
  readonly refuses?: boolean;
}

/** The reviewed change, for an effect to read. */
export interface ReviewedChange {
  readonly before: SynthesizedApp;
  readonly after: SynthesizedApp;
  readonly stacks: readonly StackReview[];
}

/** One rule about the cluster: a module in scripts/review/effects/, listed in its index.ts. */
export type Effect = (change: ReviewedChange) => Finding[];
