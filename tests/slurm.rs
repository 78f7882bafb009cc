//! Sharded scans on a real Slurm scheduler, end to end: a one-node cluster (munged, slurmctld,
//! slurmd from Debian's `slurm-wlm` and `munge`) runs deploy/slurm/submit.sh over a fleet of
//! 500 devices in 8 shards; the merged report must be byte-identical to one machine's scan.
//! Then one task is killed mid-run: `merge` refuses the incomplete set naming the missing
//! shard, `submit.sh retry` resubmits exactly that task, and the report is byte-identical
//! again.
//!
//! The cluster lives in a temporary folder (its own configuration, munge key and socket,
//! ports, state, logs) and is stopped when the test ends, failed or not ([`Cluster`]'s Drop).
//! Without the packages, or not as root (the daemons run as root), the test skips saying so;
//! under CI (.ci/run installs the packages) it fails instead.

mod common;

use common::{copy_folder, drone_audit, find_tool, oracle, required};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const SHARDS: u32 = 8;
const COPIES_OF_EACH_SAMPLE: usize = 100;
/// How long a batch of jobs may take before the test gives up (the cluster is stopped then).
const PATIENCE: Duration = Duration::from_secs(900);

/// A one-node Slurm cluster of this machine, stopped (its three daemons ended by the ids in
/// their pid files) when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("drone-audit-slurm")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().to_path_buf();
        // munged refuses a key or a folder that others may read or write.
        set_mode(&root, 0o700);
        for folder in ["state", "spool"] {
            fs::create_dir(root.join(folder)).expect("mkdir");
        }
        let key: Vec<u8> = (0..1024u32)
            .map(|index| {
                let mixed = u64::from(index)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(17)
                    ^ u64::from(std::process::id());
                mixed.to_le_bytes()[3]
            })
            .collect();
        fs::write(root.join("munge.key"), key).expect("key");
        set_mode(&root.join("munge.key"), 0o400);
        let conf = root.join("slurm.conf");
        // The cluster is dropped (and its daemons stopped) from here on, whatever fails.
        let cluster = Cluster { dir, conf };
        cluster.write_conf();
        let socket = format!("--socket={}", root.join("munge.socket").display());
        run(Command::new("munged").args([
            "--force",
            &socket,
            &format!("--key-file={}", root.join("munge.key").display()),
            &format!("--pid-file={}", root.join("munged.pid").display()),
            &format!("--log-file={}", root.join("munged.log").display()),
            &format!("--seed-file={}", root.join("munged.seed").display()),
        ]));
        cluster.wait_for_pid("munged");
        let conf = cluster.conf.to_str().expect("UTF-8");
        run(Command::new("slurmctld")
            .args(["-f", conf, "-i"])
            .current_dir(&root));
        cluster.wait_for_pid("slurmctld");
        run(Command::new("slurmd")
            .args(["-f", conf, "-N", "auditnode"])
            .current_dir(&root));
        cluster.wait_for_pid("slurmd");
        cluster.wait_until("the node is idle", Duration::from_secs(60), || {
            let state = cluster.query(&["sinfo", "-h", "-n", "auditnode", "-o", "%t"]);
            state.trim() == "idle"
        });
        cluster
    }

    fn write_conf(&self) {
        let root = self.dir.path().display();
        let [controller_port, node_port] = free_ports();
        let host = short_hostname();
        let conf = format!(
            "ClusterName=droneaudit\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmUser=root\nSlurmdUser=root\n\
             SlurmctldPort={controller_port}\nSlurmdPort={node_port}\n\
             AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket={root}/munge.socket\n\
             StateSaveLocation={root}/state\nSlurmdSpoolDir={root}/spool\n\
             SlurmctldPidFile={root}/slurmctld.pid\nSlurmdPidFile={root}/slurmd.pid\n\
             SlurmctldLogFile={root}/slurmctld.log\nSlurmdLogFile={root}/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nMpiDefault=none\n\
             SchedulerType=sched/backfill\nSelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\n\
             JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
             ReturnToService=2\n\
             # The node claims 8 CPUs' slots whatever the machine has: 8 tasks at once.\n\
             SlurmdParameters=config_overrides\n\
             NodeName=auditnode NodeHostname={host} NodeAddr=127.0.0.1 CPUs=8 RealMemory=16000 State=UNKNOWN\n\
             PartitionName=audit Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n"
        );
        fs::write(&self.conf, conf).expect("slurm.conf");
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A Slurm client command, told of this cluster.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("SLURM_CONF", &self.conf);
        command
    }

    /// Runs a client command and returns its standard output; fails the test if it fails.
    fn query(&self, arguments: &[&str]) -> String {
        let output = self
            .command(arguments[0])
            .args(&arguments[1..])
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{arguments:?}: {}{}",
            String::from_utf8_lossy(&output.stderr),
            self.logs()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The jobs still queued or running, as `ID STATE` lines (array tasks as `JOB_TASK`).
    fn queue(&self) -> Vec<String> {
        self.query(&["squeue", "-h", "-r", "-o", "%i %t"])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn wait_until(&self, what: &str, patience: Duration, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < patience,
                "waited {patience:?} for {what}{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn wait_for_pid(&self, daemon: &str) {
        let file = self.path(&format!("{daemon}.pid"));
        self.wait_until(
            &format!("{daemon} to start"),
            Duration::from_secs(30),
            || file.exists(),
        );
    }

    /// The daemons' logs, for a failure's message.
    fn logs(&self) -> String {
        ["munged.log", "slurmctld.log", "slurmd.log"]
            .iter()
            .map(|name| {
                let text = fs::read_to_string(self.path(name)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("\n--- {name} (last lines)\n{}", tail.join("\n"))
            })
            .collect()
    }

    /// The exit code Slurm recorded for a finished job (`ExitCode=1:0` → 1).
    fn exit_code(&self, job: &str) -> Option<i32> {
        let shown = self.query(&["scontrol", "show", "job", job]);
        let field = shown
            .split_whitespace()
            .find_map(|field| field.strip_prefix("ExitCode="))?;
        field.split(':').next()?.parse().ok()
    }
}

impl Cluster {
    /// The processes working in the cluster's folder: the daemons, and the job steps
    /// (slurmstepd) slurmd started there.
    fn processes(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .bytes()
                    .all(|byte| byte.is_ascii_digit())
            })
            .filter(|entry| {
                fs::read_link(entry.path().join("cwd"))
                    .is_ok_and(|cwd| cwd.starts_with(self.dir.path()))
            })
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn daemon_pids(&self) -> Vec<String> {
        ["slurmd", "slurmctld", "munged"]
            .iter()
            .filter_map(|daemon| fs::read_to_string(self.path(&format!("{daemon}.pid"))).ok())
            .map(|pid| pid.trim().to_owned())
            .collect()
    }
}

/// Ends a process by its id: TERM, then KILL if it is still there after `patience`.
fn end(pid: &str, patience: Duration) {
    let alive = || Path::new("/proc").join(pid).exists();
    let _ = Command::new("kill").args(["-TERM", pid]).status();
    let start = Instant::now();
    while alive() && start.elapsed() < patience {
        std::thread::sleep(Duration::from_millis(100));
    }
    if alive() {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Job steps finish on their own once their job is done: give them a moment while
        // slurmd is still there to hear from them.
        let daemons = self.daemon_pids();
        let start = Instant::now();
        let steps = || {
            self.processes()
                .into_iter()
                .filter(|pid| !daemons.contains(pid))
                .collect::<Vec<String>>()
        };
        while !steps().is_empty() && start.elapsed() < Duration::from_secs(15) {
            std::thread::sleep(Duration::from_millis(200));
        }
        // Each process by its id, never by name: another cluster may run on this machine.
        for pid in daemons {
            end(&pid, Duration::from_secs(10));
        }
        for pid in self.processes() {
            end(&pid, Duration::from_secs(2));
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

fn run(command: &mut Command) {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Two TCP ports free on the loopback now (the daemons bind them right after).
fn free_ports() -> [u16; 2] {
    let first = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let second = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    [
        first.local_addr().expect("address").port(),
        second.local_addr().expect("address").port(),
    ]
}

/// The name slurmctld knows itself by: it must be the configured SlurmctldHost.
fn short_hostname() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    name.trim()
        .split('.')
        .next()
        .unwrap_or("localhost")
        .to_owned()
}

/// Whether Slurm and munge are installed and the daemons can run (as root); otherwise skips,
/// or fails under CI.
fn slurm_available() -> bool {
    let install = "apt-get install slurm-wlm munge";
    let tools = [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "scancel",
        "sinfo",
    ];
    if !tools.iter().all(|tool| oracle(tool, install)) {
        return false;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    if !root {
        assert!(
            !required(),
            "the Slurm test runs the daemons as root: run it as root (CI does)"
        );
        eprintln!("skipped: the Slurm test runs munged, slurmctld and slurmd as root");
        return false;
    }
    true
}

/// A fleet of 500 devices: 100 copies of each sample device, with the sample policy.
fn fleet_of_500(root: &Path) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for entry in fs::read_dir(&samples).expect("samples") {
        let entry = entry.expect("entry");
        if !entry.file_type().expect("type").is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        for copy in 0..COPIES_OF_EACH_SAMPLE {
            copy_folder(&entry.path(), &root.join(format!("{name}-{copy:03}")));
        }
    }
    fs::copy(
        samples.join("drone-audit.toml"),
        root.join("drone-audit.toml"),
    )
    .expect("policy");
}

/// The drone-audit binary cargo built for the tests.
fn binary() -> PathBuf {
    let program = drone_audit().get_program().to_owned();
    PathBuf::from(program)
}

fn submit(cluster: &Cluster, arguments: &[&str], drone_audit: &Path) -> (String, Output) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/submit.sh");
    let output = cluster
        .command("bash")
        .arg(script)
        .args(arguments)
        .env("DRONE_AUDIT", drone_audit)
        .env("FORMATS", "json")
        .env("SBATCH_ARGS", "--cpus-per-task=1")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "submit.sh {arguments:?}: {}{}",
        String::from_utf8_lossy(&output.stderr),
        cluster.logs()
    );
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    (printed, output)
}

/// The job ids submit.sh printed: (scan array, merge).
fn job_ids(printed: &str) -> (String, String) {
    let id = |label: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .unwrap_or_else(|| panic!("no `{label}` in {printed:?}"))
            .trim()
            .to_owned()
    };
    (id("scan "), id("merge "))
}

#[test]
fn an_array_job_of_8_shards_merges_into_the_single_scan_and_a_killed_task_is_resubmitted() {
    if !slurm_available() {
        return;
    }
    let started = Instant::now();
    let work = tempfile::tempdir().expect("tempdir");
    let fleet = work.path().join("fleet");
    fleet_of_500(&fleet);
    let fleet_path = fleet.to_str().expect("UTF-8");
    let single_report = work.path().join("single.json");
    let single = drone_audit()
        .args([
            "scan", fleet_path, "--quiet", "--format", "json", "--output",
        ])
        .arg(&single_report)
        .output()
        .expect("runs");
    let single_code = single.status.code();
    let single_bytes = fs::read(&single_report).expect("single report");
    let parsed: serde_json::Value = serde_json::from_slice(&single_bytes).expect("JSON");
    assert_eq!(parsed["summary"]["devices"], 500);
    let single_took = started.elapsed();

    let cluster = Cluster::start();
    let cluster_up = started.elapsed();

    // 1. The whole array, then the merge that depends on it.
    let parts = work.path().join("parts");
    let parts_path = parts.to_str().expect("UTF-8");
    let shards = SHARDS.to_string();
    let (printed, _) = submit(&cluster, &[fleet_path, parts_path, &shards], &binary());
    let (_, merge_job) = job_ids(&printed);
    cluster.wait_until("the array and the merge", PATIENCE, || {
        cluster.queue().is_empty()
    });
    let merged = fs::read(parts.join("report.json")).unwrap_or_else(|error| {
        panic!(
            "no merged report ({error}); merge log: {:?}{}",
            fs::read_dir(parts.join("logs"))
                .map(|entries| entries.count())
                .ok(),
            cluster.logs()
        )
    });
    assert!(
        merged == single_bytes,
        "the merged report of the Slurm array differs from the single scan's"
    );
    assert_eq!(
        cluster.exit_code(&merge_job),
        single_code,
        "the merge job's exit code is the single scan's"
    );
    for shard in 1..=SHARDS {
        assert!(parts.join(format!("part-{shard}-of-8.json")).is_file());
    }
    let logs = fs::read_dir(parts.join("logs")).expect("logs").count();
    assert_eq!(logs, 9, "a log per task and one for the merge");
    let first_run = started.elapsed();

    // 2. Task 3 (shard 4) hangs on its first attempt, as on a stuck node, and is killed.
    let again = work.path().join("parts-again");
    let again_path = again.to_str().expect("UTF-8");
    let marker = work.path().join("task-3-hung-once");
    let wrapper = work.path().join("drone-audit-hangs-once");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$SLURM_ARRAY_TASK_ID\" = 3 ] && [ ! -e '{marker}' ]; then\n  \
             touch '{marker}'\n  exec sleep 600\nfi\nexec '{binary}' \"$@\"\n",
            marker = marker.display(),
            binary = binary().display()
        ),
    )
    .expect("wrapper");
    set_mode(&wrapper, 0o755);
    let (printed, _) = submit(&cluster, &[fleet_path, again_path, &shards], &wrapper);
    let (scan_job, _) = job_ids(&printed);
    let stuck = format!("{scan_job}_3");
    cluster.wait_until("every task but 3 to finish", PATIENCE, || {
        let queue = cluster.queue();
        marker.exists()
            && queue
                .iter()
                .filter(|line| line.starts_with(&format!("{scan_job}_")))
                .all(|line| *line == format!("{stuck} R"))
    });
    cluster.query(&["scancel", &stuck]);
    // The merge (afterok) can never run now: Slurm cancels it (--kill-on-invalid-dep).
    cluster.wait_until(
        "the killed task and the merge to leave the queue",
        PATIENCE,
        || cluster.queue().is_empty(),
    );
    assert!(
        !again.join("report.json").exists(),
        "the merge ran without shard 4"
    );
    assert!(!again.join("part-4-of-8.json").exists());
    let present: Vec<PathBuf> = (1..=SHARDS)
        .filter(|shard| *shard != 4)
        .map(|shard| again.join(format!("part-{shard}-of-8.json")))
        .collect();
    drone_audit()
        .arg("merge")
        .args(&present)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "shards missing from the set of 8: 4/8",
        ));

    // 3. The retry resubmits exactly the task merge named, and a merge after it.
    let (printed, output) = submit(
        &cluster,
        &["retry", fleet_path, again_path, &shards],
        &wrapper,
    );
    let told = String::from_utf8_lossy(&output.stderr);
    assert!(
        told.contains("merge names shards 4/8 as missing: resubmitting array indices 3"),
        "{told}"
    );
    let (retry_job, retry_merge) = job_ids(&printed);
    cluster.wait_until("the retried task and its merge", PATIENCE, || {
        cluster.queue().is_empty()
    });
    let merged_again = fs::read(again.join("report.json")).expect("merged after the retry");
    assert!(
        merged_again == single_bytes,
        "the report merged after the retry differs from the single scan's"
    );
    assert_eq!(cluster.exit_code(&retry_merge), single_code);
    let retry_logs: Vec<String> = fs::read_dir(again.join("logs"))
        .expect("logs")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with(&format!("scan-{retry_job}_")))
        .collect();
    assert_eq!(
        retry_logs,
        [format!("scan-{retry_job}_3.out")],
        "one task resubmitted"
    );
    // Nothing to retry any more.
    let (printed, output) = submit(
        &cluster,
        &["retry", fleet_path, again_path, &shards],
        &wrapper,
    );
    assert!(printed.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing to retry"));

    eprintln!(
        "slurm end to end: {} devices in {SHARDS} shards; single scan {:.1} s, cluster up at \
         {:.1} s, array + merge done at {:.1} s, kill + retry done at {:.1} s ({})",
        500,
        single_took.as_secs_f64(),
        cluster_up.as_secs_f64(),
        first_run.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        find_tool("slurmctld").map_or_else(String::new, |path| path.display().to_string())
    );
}
