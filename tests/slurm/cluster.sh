# tests/slurm/cluster.sh - a single-machine Slurm cluster on loopback in a
# folder of its own, for the Slurm test and bench/sweep_bench.sh (sourced).
#
#   source tests/slurm/cluster.sh
#   cluster_start DIR      # munged, slurmctld, slurmd; exports SLURM_CONF
#   cluster_wait_idle 120  # until the node takes jobs (seconds at most)
#   cluster_stop           # cancels jobs, stops the daemons it started by
#                          # their pids, removes nothing (the caller does)
#
# Needs root and Debian's slurmctld, slurmd, slurm-client and munge
# (scripts/setup.sh installs them).  The daemons use ports picked free on
# 127.0.0.1, keep every file (state, spool, logs, pid files, the munge
# socket) under DIR, and stop by the pids in their pid files; a job step
# daemon (slurmstepd) left behind is found by the SLURM_CONF in its
# environment, which names DIR, and stopped by its pid.

CLUSTER_DIR=
CLUSTER_NODE=$(hostname -s)

cluster_log() { echo "cluster: $*" >&2; }

cluster_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cluster_start() {
  CLUSTER_DIR=$1
  local d=$CLUSTER_DIR
  mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log"
  chmod 755 "$d"
  chown munge:munge "$d/munge"
  chmod 755 "$d/munge"
  runuser -u munge -- /usr/sbin/munged --socket="$d/munge/munge.socket.2" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/munge/munged.log" \
    --seed-file="$d/munge/munged.seed" || { cluster_log "munged did not start"; return 1; }
  local p1 p2 cpus mem
  p1=$(cluster_free_port); p2=$(cluster_free_port)
  while [ "$p2" = "$p1" ]; do p2=$(cluster_free_port); done
  cpus=$(nproc)
  mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n 1)
  mem=$(( ${mem:-4096} * 9 / 10 ))
  cat > "$d/slurm.conf" <<EOF
ClusterName=mlabtest
SlurmctldHost=$CLUSTER_NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge/munge.socket.2,cred_expire=5
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SlurmctldPort=$p1
SlurmdPort=$p2
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ReturnToService=2
KillWait=10
SchedulerParameters=sched_interval=2,bf_interval=1
MinJobAge=600
NodeName=$CLUSTER_NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$CLUSTER_NODE Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf
  MLAB_CLUSTER=$d slurmctld -f "$SLURM_CONF" || { cluster_log "slurmctld did not start"; return 1; }
  MLAB_CLUSTER=$d slurmd -f "$SLURM_CONF" || { cluster_log "slurmd did not start"; return 1; }
  cluster_log "started in $d (ports $p1, $p2)"
}

# The node is up and idle: jobs start at once.
cluster_wait_idle() {
  local limit=${1:-120} t=0 state
  while [ "$t" -lt $((limit * 2)) ]; do
    state=$(sinfo -h -n "$CLUSTER_NODE" -o %T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && return 0
    sleep 0.5; t=$((t + 1))
  done
  cluster_log "the node is not idle after $limit s (state '$state')"
  sinfo >&2 || true
  tail -n 20 "$CLUSTER_DIR/log/slurmctld.log" "$CLUSTER_DIR/log/slurmd.log" >&2 || true
  return 1
}

cluster_pid() { # FILE: the pid it holds, if that process lives
  local pid; pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

cluster_wait_gone() { # PID SECONDS
  local i
  for i in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# What our daemons left: job step daemons (slurmstepd inherits slurmd's
# environment, which carries MLAB_CLUSTER=DIR) and job processes (a job's
# environment has SLURM_JOB_ID and this cluster's SLURM_CONF); by pid.
cluster_strays() {
  local p env
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    env=$( { tr '\0' '\n' < "$p/environ"; } 2>/dev/null) || continue
    if grep -qx "MLAB_CLUSTER=$CLUSTER_DIR" <<< "$env" \
       || { grep -q "^SLURM_JOB_ID=" <<< "$env" \
            && grep -qx "SLURM_CONF=$CLUSTER_DIR/slurm.conf" <<< "$env"; }; then
      echo "${p#/proc/}"
    fi
  done
  return 0
}

cluster_stop() {
  [ -n "$CLUSTER_DIR" ] || return 0
  local d=$CLUSTER_DIR pid i
  if [ -n "$(cluster_pid "$d/slurmctld.pid")" ]; then
    scancel --full --user=root 2>/dev/null || true
    for i in $(seq 100); do
      [ -z "$(squeue -h 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    pid=$(cluster_pid "$d/$f") || continue
    kill -TERM "$pid" 2>/dev/null || true
    cluster_wait_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in $(cluster_strays); do kill -KILL "$pid" 2>/dev/null || true; done
  cluster_log "stopped"
}
