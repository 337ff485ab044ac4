#!/usr/bin/env bash
# Runs the example on the cluster of the current kubectl context:
#
#   examples/kubernetes/run.sh [IMAGE] [PLAN.hcl]
#
# IMAGE defaults to perfplan:dev (build it with the Containerfile and make it
# available to the cluster: push it to a registry the nodes pull from, or
# `kind load docker-image perfplan:dev`, `minikube image load perfplan:dev`).
# PLAN.hcl replaces the example plan of plans-configmap.yaml.
#
# It starts the segments' Job with a common start 60 seconds ahead (enough
# for the pods to be scheduled and the image pulled; set LEAD=SECONDS to
# change it), waits for it, runs the merge Job, prints the merged tables and
# verdict, and exits with the verdict (0 passed, 1 failed).
set -euo pipefail
cd "$(dirname "$0")"
image="${1:-perfplan:dev}"
plan="${2:-}"
lead="${LEAD:-60}"

kubectl apply -f results-pvc.yaml
if [ -n "$plan" ]; then
	kubectl create configmap perfplan-plans --from-file=plan.hcl="$plan" --dry-run=client -o yaml | kubectl apply -f -
else
	kubectl apply -f plans-configmap.yaml
fi

run_id="$(date -u +%Y%m%dT%H%M%SZ)"
start_at="$(date -u -d "+${lead} seconds" +%Y-%m-%dT%H:%M:%SZ)"
kubectl create configmap perfplan-start --from-literal=start-at="$start_at" --from-literal=run-id="$run_id" \
	--dry-run=client -o yaml | kubectl apply -f -

# A Job's pod template cannot change: replace the Jobs of an earlier run.
kubectl delete job perfplan-segments perfplan-merge --ignore-not-found --wait=true
sed "s#image: perfplan:dev#image: ${image}#" job.yaml | kubectl apply -f -
echo "run $run_id: segments start their load at $start_at"

# Complete or Failed, whichever comes first.
wait_job() {
	while :; do
		for cond in Complete Failed; do
			if [ "$(kubectl get job "$1" -o jsonpath="{.status.conditions[?(@.type==\"$cond\")].status}")" = True ]; then
				echo "$cond"
				return
			fi
		done
		sleep 5
	done
}
if [ "$(wait_job perfplan-segments)" != Complete ]; then
	echo "some segments failed; their logs:" >&2
	kubectl logs -l app.kubernetes.io/component=segment --tail=20 --prefix >&2 || true
	echo "merging what there is would be partial: not merging" >&2
	exit 2
fi

sed "s#image: perfplan:dev#image: ${image}#" merge-job.yaml | kubectl apply -f -
status="$(wait_job perfplan-merge)"
kubectl logs job/perfplan-merge
[ "$status" = Complete ]
