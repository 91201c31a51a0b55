#!/bin/sh
# Installs the TARS base services into the namespace tars-system, in order, waiting for each step:
# the namespace, the try-out MariaDB, the db_tars schema, tarsregistry (its tokens Secret when
# missing), then tarsconfig, tarslog, tarsnotify, tarsstat and tarsproperty. Safe to run again.
#
#   baseserver/install.sh [--dry-run] [--timeout DURATION]
#
# --dry-run passes --dry-run=client to every kubectl apply and waits for nothing.
# TARS_IMAGE_REPO (default tarscli) replaces the "tarscli/" repository of the images in the
# manifests, e.g. TARS_IMAGE_REPO=registry.example.com/tars.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
namespace=tars-system
repo=${TARS_IMAGE_REPO:-tarscli}
dry_run=""
timeout=300s

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "$0"
}

while [ "$#" -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=--dry-run=client ;;
    --timeout)
      [ "$#" -ge 2 ] || { echo "install.sh: --timeout needs a duration, e.g. 300s" >&2; exit 2; }
      timeout=$2
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1; run install.sh --help" >&2; exit 2 ;;
  esac
  shift
done

say() {
  echo "== $*"
}

# Applies one manifest file, with the images' repository replaced.
apply() {
  sed "s#image: tarscli/#image: ${repo}/#" "$1" | kubectl apply ${dry_run:+"$dry_run"} -f -
}

# Waits for a condition (kubectl wait arguments), unless this is a dry run.
wait_for() {
  if [ -z "$dry_run" ]; then
    kubectl wait --namespace "$namespace" --timeout "$timeout" "$@"
  fi
}

say "namespace $namespace"
apply "$here/namespace.yaml"

say "MariaDB (try-out database) and the db_tars schema"
kubectl create configmap tars-db-schema --namespace "$namespace" \
  --from-file=db_tars.sql="$here/db/db_tars.sql" --dry-run=client -o yaml |
  kubectl apply ${dry_run:+"$dry_run"} -f -
apply "$here/db/mysql.yaml"
wait_for --for=condition=Available deployment/tars-mysql
apply "$here/db/schema_job.yaml"
wait_for --for=condition=Complete job/tars-db-schema

say "tarsregistry"
# The registration tokens Secret is created once and kept: it holds the tokens put in it since.
if [ -n "$dry_run" ] ||
  ! kubectl get secret tars-registry-tokens --namespace "$namespace" >/dev/null 2>&1; then
  apply "$here/registry/tokens.yaml"
fi
apply "$here/registry/registry.yaml"
wait_for --for=condition=Available deployment/tars-registry

say "base services"
for service in tarsconfig tarslog tarsnotify tarsstat tarsproperty; do
  apply "$here/services/$service.yaml"
done
for service in tarsconfig tarslog tarsnotify tarsstat tarsproperty; do
  wait_for --for=condition=Available "deployment/$service"
done

say "done; TARS clients in the cluster use the locator"
echo "tars.tarsregistry.QueryObj@tcp -h tars-registry.$namespace.svc.cluster.local -p 17890"
