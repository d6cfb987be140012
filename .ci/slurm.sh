#!/usr/bin/env bash
# End-to-end test of `margo sweep` against a real, throw-away, single-node
# Slurm cluster (Debian 12's Slurm 22.05) that lives in one temporary
# directory: its own munged (key, socket), slurmctld and slurmd on random
# free ports, MaxArraySize=5 so that sweeps split over several arrays.
#
# Checks:
#  1. the quick Fig. 1 (2 seeds, 18 tasks) as 4 arrays plus a merge job that
#     depends on them equals `margo reproduce` (every file byte for byte but
#     the timings in manifest.json and the .done.json files);
#  2. resubmitting the finished sweep changes no file;
#  3. `scontrol requeue` of a running task, and SIGUSR1 (the time-limit
#     warning) to another, on which margo requeues the job itself: both
#     resume and end identical to uninterrupted runs;
#  4. a failing index (corrupt checkpoint) exits 1, is listed by
#     `status --todo` and, once fixed, resubmitted with `slurm --only`;
#  5. an array index beyond the plan exits 2.
# Everything it starts is stopped on exit, also on failure. Needs root (to
# install packages, and slurmd runs jobs as the submitting user).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n== slurm: %s\n' "$*"; }
fail() { printf 'slurm.sh: FAIL: %s\n' "$*" >&2; exit 1; }

need=()
for p in slurmctld slurmd slurm-client munge jq; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	step "install ${need[*]}"
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

T=$(mktemp -d /tmp/margo-slurm.XXXXXX)
chmod 755 "$T" # munge: every directory above the socket world-executable
export SLURM_CONF=$T/slurm.conf
cleanup() {
	set +e
	if [ -f "$T/slurmctld.pid" ]; then
		scancel --quiet --user="$(id -un)" 2>/dev/null
		sleep 0.5
	fi
	for d in slurmd slurmctld munged; do
		if [ -f "$T/$d.pid" ]; then
			pid=$(cat "$T/$d.pid")
			kill "$pid" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null
		fi
	done
	if [ "${KEEP_SLURM_DIR:-}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

step "build margo"
go build -o "$T/margo" ./cmd/margo
M=$T/margo

step "start munged, slurmctld, slurmd in $T"
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge.key"
munged --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
	--log-file="$T/munged.log" --seed-file="$T/munged.seed"
node=$(hostname -s)
hw=$(slurmd -C | head -1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
mem=$(slurmd -C | head -1 | tr ' ' '\n' | sed -n 's/^RealMemory=//p')
mkdir -p "$T/state" "$T/spool"
cat >"$SLURM_CONF" <<EOF
ClusterName=margoci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(freeport)
SlurmdPort=$(freeport)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.sock,cred_expire=5
SlurmUser=$(id -un)
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=2,bf_interval=1
MaxArraySize=5
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 ${hw}RealMemory=$((mem * 9 / 10)) State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -i -f "$SLURM_CONF"
slurmd -N "$node" -f "$SLURM_CONF"
for i in $(seq 100); do
	sinfo -h -o %T 2>/dev/null | grep -q idle && break
	[ "$i" = 100 ] && { tail -5 "$T/slurmctld.log" "$T/slurmd.log"; fail "node not idle after 20 s"; }
	sleep 0.2
done

# waitjobs JOBID...: poll squeue until none of the jobs is queued or running.
waitjobs() {
	local ids
	ids=$(IFS=,; echo "$*")
	for _ in $(seq 1800); do
		[ -z "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ] && return 0
		sleep 0.2
	done
	squeue
	fail "jobs $ids still queued after 6 minutes"
}
submit() { sbatch --parsable "$@" | cut -d';' -f1; }

# samefiles REF DIR: every file of REF in DIR, byte-identical but for the
# timings of manifest.json and the .done.json files (and manifest's flags
# that name the command, and its sweep block), which jq strips, and the same
# rows of report.html (flags, wall_seconds, each run's seconds), which sed
# strips.
strip='del(.seconds, .wall_seconds, .sweep, .flags.out, .flags.jobs, .flags.threads) | if .runs then .runs |= map(del(.seconds)) else . end'
htmlstrip='/^<tr><td>(flags|wall_seconds)<\/td>/d; s#^(<tr>(<td>[^<]*</td>){3}<td class="num">[^<]*</td>)<td class="num">[^<]*</td></tr>$#\1</tr>#'
samefiles() {
	local n=0 f
	while IFS= read -r f; do
		n=$((n + 1))
		case $f in
		*manifest.json | *.done.json)
			cmp -s <(jq -S "$strip" "$1/$f") <(jq -S "$strip" "$2/$f") || fail "$f differs beyond its timings" ;;
		*report.html)
			cmp -s <(sed -E "$htmlstrip" "$1/$f") <(sed -E "$htmlstrip" "$2/$f") || fail "$f differs beyond its timings" ;;
		*) cmp -s "$1/$f" "$2/$f" || fail "$f differs" ;;
		esac
	done < <(cd "$1" && find . -type f | sort)
	[ "$n" -gt 0 ] || fail "no files in $1"
	echo "$n files identical"
}

step "1. quick fig1 over arrays of 5 with a dependent merge job"
Q=(fig1 --quick --seeds 2 --steps 200 --d 16)
"$M" reproduce "${Q[@]}" --out "$T/ref" --quiet >"$T/ref.out"
"$M" sweep plan "${Q[@]}" --per-task 1 --out "$T/sw"
mapfile -t scripts < <("$M" sweep slurm "$T/sw" --cpus 1 --max-running 2)
[ ${#scripts[@]} -ge 4 ] || fail "want ≥ 4 arrays, got ${#scripts[@]}"
[ "$(scontrol show config | sed -n 's/^MaxArraySize *= *//p')" = 5 ] || fail "MaxArraySize is not 5"
jobs=()
for s in "${scripts[@]}"; do jobs+=("$(submit "$s")"); done
dep=$(IFS=:; echo "${jobs[*]}")
mj=$(submit --dependency="afterok:$dep" "$T/sw/slurm/merge.sbatch")
echo "arrays ${jobs[*]}, merge $mj"
waitjobs "${jobs[@]}" "$mj"
grep -q "JobId=$mj .*JobState=COMPLETED.*ExitCode=0:0" "$T/jobcomp.txt" || { cat "$T"/sw/slurm/merge_*.log; fail "merge job $mj did not complete"; }
"$M" sweep status "$T/sw"
samefiles "$T/ref" "$T/sw"
diff <(sed '$d' "$T/ref.out") <(sed '$d' "$T"/sw/slurm/merge_"$mj".log | grep -v '^margo sweep') || fail "summary tables differ"

step "2. resubmitting the finished sweep changes nothing"
before=$(cd "$T/sw" && find . -path ./slurm -prune -o -path ./.locks -prune -o -type f -printf '%p %s %T@\n' | sort | md5sum)
jobs=()
for s in "${scripts[@]}"; do jobs+=("$(submit "$s")"); done
waitjobs "${jobs[@]}"
after=$(cd "$T/sw" && find . -path ./slurm -prune -o -path ./.locks -prune -o -type f -printf '%p %s %T@\n' | sort | md5sum)
[ "$before" = "$after" ] || fail "resubmission changed files"
echo "no file changed"

step "3. scontrol requeue and USR1 of running tasks; 4. a failing index"
R=(fig1 --quick --seeds 1 --steps 20000 --d 16) # a checkpoint every 2000 steps
"$M" sweep plan "${R[@]}" --per-task 1 --out "$T/rq"
"$M" sweep plan "${R[@]}" --per-task 1 --out "$T/rqref" >/dev/null
"$M" sweep run --plan "$T/rqref" --index 0 2>/dev/null
"$M" sweep run --plan "$T/rqref" --index 2 2>/dev/null
: >"$T/rq/runs/sd_a0.1_s1.jsonl" # task 1: a corrupt checkpoint
echo "not a checkpoint" >"$T/rq/runs/sd_a0.1_s1.ckpt.npz"
s=$("$M" sweep slurm "$T/rq" --cpus 1 --only 0-2)
j=$(submit "$s")
# running RUN TASK: the task runs and its run has a checkpoint.
running() { [ -f "$T/rq/runs/$1.ckpt.npz" ] && [ "$(squeue -h -j "${j}_$2" -o %T)" = RUNNING ]; }
for i in $(seq 600); do
	running gd_a0.1_s1 0 && break
	[ "$i" = 600 ] && fail "task 0 never ran with a checkpoint"
	sleep 0.1
done
scontrol requeue "${j}_0"
echo "requeued ${j}_0"
# 3b. the time-limit warning (what --signal=B:USR1@120 sends): margo
# requeues the task itself.
for i in $(seq 600); do
	running cd-kink_a0.1_s1 2 && break
	[ "$i" = 600 ] && fail "task 2 never ran with a checkpoint"
	sleep 0.1
done
scancel --batch --signal=USR1 "${j}_2"
echo "sent USR1 to ${j}_2"
waitjobs "$j"
grep -q "SIGTERM in run gd_a0.1_s1 at step [0-9]*, resumes from" "$T"/rq/slurm/"${j}"_0.log || { cat "$T"/rq/slurm/"${j}"_0.log; fail "no signal line in the requeued task's log"; }
grep -q "SIGUSR1 in run cd-kink_a0.1_s1 at step [0-9]*, resumes from .*; requeued Slurm job" "$T"/rq/slurm/"${j}"_2.log || { cat "$T"/rq/slurm/"${j}"_2.log; fail "USR1 did not requeue task 2"; }
for k in 0 2; do
	[ "$(grep -c "task $k of 9" "$T"/rq/slurm/"${j}"_$k.log)" -ge 2 ] || fail "task $k did not run twice"
done
for f in gd_a0.1_s1.jsonl gd_a0.1_s1.npz cd-kink_a0.1_s1.jsonl cd-kink_a0.1_s1.npz; do
	cmp "$T/rqref/runs/$f" "$T/rq/runs/$f" || fail "requeued $f differs"
done
echo "requeued tasks identical to the uninterrupted runs"
grep "ArrayJobId=$j ArrayTaskId=1 " "$T/jobcomp.txt" | grep -q "ExitCode=1:0" || fail "the corrupt-checkpoint task did not exit 1"
todo=$("$M" sweep status "$T/rq" --todo || true)
[ "$todo" = "1,3-8" ] || fail "status --todo: '$todo', want 1,3-8 (tasks 3-8 were never submitted)"
st=$("$M" sweep status "$T/rq" || true)
grep -q "^task 1: failed (sd_a0.1_s1 failed)" <<<"$st" || fail "status does not show task 1 failed: $st"
rm "$T/rq/runs/sd_a0.1_s1.ckpt.npz" # the fix; then resubmit the failed index only
j=$(submit "$("$M" sweep slurm "$T/rq" --cpus 1 --only "${todo%%,*}")")
waitjobs "$j"
todo=$("$M" sweep status "$T/rq" --todo || true)
[ "$todo" = "3-8" ] || fail "status --todo after resubmitting 1: '$todo', want 3-8"
echo "failed index 1 listed by status --todo, resubmitted with --only 1, done"

step "5. an index beyond the plan exits 2"
j=$(submit --array=4 "$T/sw/slurm/array-15.sbatch") # index 15 + 4 = 19 of 18 tasks
waitjobs "$j"
grep "JobId=$j " "$T/jobcomp.txt" | grep -q "ExitCode=2:0" || { grep "JobId=$j " "$T/jobcomp.txt"; cat "$T"/sw/slurm/"${j}"_4.log; fail "bad index did not exit 2"; }
cat "$T"/sw/slurm/"${j}"_4.log

step "all Slurm checks passed"
