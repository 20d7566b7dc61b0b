#!/bin/sh
# Submit one assay fleet scan to AWS Batch: plan, an array job of SHARDS children that
# depends on it, and a merge that depends on the whole array.
#
# Register the job definitions first (once, and after each change):
#   for name in plan scan merge merge-partial; do
#     aws batch register-job-definition \
#       --cli-input-json "$(jq -c --arg n "$name" '.[$n]' batch-job-definitions.json)"
#   done
# Then, from a scheduler (EventBridge Scheduler, cron, CI):
#   QUEUE=assay SHARDS=16 RUN=s3://assay-runs/nightly sh batch-submit.sh
#
# Batch fails a job whose dependency failed, so when a shard exhausts its retries the merge
# below never runs. Then merge what was committed, marked partial:
#   aws batch submit-job --job-name assay-merge-partial --job-queue "$QUEUE" \
#     --job-definition assay-merge-partial --parameters "run=$RUN,report=$REPORT"
# or rerun the failed children's index by hand; docs/fleet/aws/step-functions.asl.json does
# the partial merge by itself.
set -eu

QUEUE=${QUEUE:-assay}
RUN=${RUN:-s3://assay-runs/nightly}
SHARDS=${SHARDS:-16}                   # 2 to 10,000 (Batch's array sizes)
REPORT=${REPORT:-$RUN/report.json}

plan=$(aws batch submit-job --job-name assay-plan --job-queue "$QUEUE" \
  --job-definition assay-plan \
  --parameters "run=$RUN,shards=$SHARDS" \
  --query jobId --output text)

# Every child gets AWS_BATCH_JOB_ARRAY_INDEX (0 .. SHARDS-1), which `--shard auto/N` reads.
scan=$(aws batch submit-job --job-name assay-scan --job-queue "$QUEUE" \
  --job-definition assay-scan \
  --array-properties "size=$SHARDS" \
  --depends-on "jobId=$plan" \
  --parameters "run=$RUN,shard=auto/$SHARDS" \
  --query jobId --output text)

# Depending on the array's parent job id waits for every child.
merge=$(aws batch submit-job --job-name assay-merge --job-queue "$QUEUE" \
  --job-definition assay-merge \
  --depends-on "jobId=$scan" \
  --parameters "run=$RUN,report=$REPORT" \
  --query jobId --output text)

echo "plan $plan -> scan $scan ($SHARDS shards) -> merge $merge"
