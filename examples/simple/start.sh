#!/bin/sh
# Started by `tarscli supervisor` (TARS_START_PATH, default $TARS_PATH/bin/start.sh) after genconf
# wrote the config. NODE_PATH tells Node where @tars/rpc is installed (/app/node_modules in the
# example's image); exec keeps the service in the supervisor's process group.
export NODE_PATH="${NODE_PATH:-/app/node_modules}"
exec node "$(dirname "$0")/service.cjs" --config="${TARS_PATH:-/tars}/conf/Hello.conf"
