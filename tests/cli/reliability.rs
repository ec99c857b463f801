//! Nothing lost, nobody surprised: one run per output directory, no silent
//! overwrite, no writing through symbolic links, honest statuses
//! (`interrupted` on a signal, `failed` on a write error or a NaN state) and
//! a valid prefix recorded in the spike file.

use super::*;
use brainsim_io::metadata::RunMetadata;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A long Brunel run into `out`, in the background.
fn start_long_run(out: &Path) -> Child {
    bin()
        .args(["run", repo("configs/brunel.toml").to_str().unwrap()])
        .args(["--t-stop", "100000", "--threads", "1", "--quiet", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `path` exists (a run has started).
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// `brainsim run configs/vm_trace.toml --quiet --out OUT EXTRA...`.
fn run_vm(out: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .args([
            "run",
            repo("configs/vm_trace.toml").to_str().unwrap(),
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn status_of(out: &Path) -> RunMetadata {
    RunMetadata::read(out).unwrap()
}

/// The spike file's valid prefix: `/spikes` valid_until_ms and the sum of
/// the populations' valid_rows (checked against the datasets by h5py).
fn valid_prefix(spikes: &Path) -> (f64, u64) {
    let script = "import h5py,sys\nf=h5py.File(sys.argv[1],'r')\ns=f['spikes']\nn=0\nfor p in s:\n    r=int(s[p].attrs['valid_rows']); assert r<=len(s[p]['timestamps']); ts=s[p]['timestamps'][:r]\n    assert (ts<=s.attrs['valid_until_ms']).all(); n+=r\nprint(float(s.attrs['valid_until_ms']), n)";
    let py = std::env::var("BRAINSIM_PYTHON")
        .unwrap_or_else(|_| repo(".venv/bin/python").display().to_string());
    let out = Command::new(py)
        .args(["-c", script])
        .arg(spikes)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    (
        it.next().unwrap().parse().unwrap(),
        it.next().unwrap().parse().unwrap(),
    )
}

#[test]
fn a_second_run_into_a_busy_directory_is_refused_and_a_signal_interrupts_the_first() {
    let dir = scratch("busy");
    let out = dir.join("out");
    let mut first = start_long_run(&out);
    wait_for(&out.join("rank0.pid"));
    let second = bin()
        .args([
            "run",
            repo("configs/brunel.toml").to_str().unwrap(),
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("in use by another run") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(
        status_of(&out).status,
        "running",
        "the first run is unharmed"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let pid = std::fs::read_to_string(out.join("rank0.pid")).unwrap();
    Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert_eq!(
        wait(&mut first, Duration::from_secs(30)),
        Some(3),
        "exit code 3 on SIGTERM"
    );
    let meta = status_of(&out);
    assert_eq!(meta.status, "interrupted");
    assert!(meta.t_valid_ms > 0.0 && meta.t_valid_ms < 100000.0);
    let (until, rows) = valid_prefix(&out.join("spikes.h5"));
    assert_eq!(until, meta.t_valid_ms);
    assert_eq!(rows, meta.spikes);
    assert!(!out.join(".brainsim.lock").exists(), "the lock is released");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn overwrite_is_refused_without_the_flag_and_clears_only_the_old_runs_files() {
    let dir = scratch("overwrite");
    let out = dir.join("out");
    let vm = repo("configs/vm_trace.toml");
    assert!(run_vm(&out, &[]).status.success());
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let before = std::fs::read(out.join("metadata.json")).unwrap();
    let again = run_vm(&out, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("holds a finished run"));
    assert_eq!(
        std::fs::read(out.join("metadata.json")).unwrap(),
        before,
        "untouched"
    );
    // The new run records spikes only: the old reports must go.
    let text = std::fs::read_to_string(&vm).unwrap();
    let cut = text.find("[[record]]\ntype = \"state\"").unwrap();
    let spikes_only = dir.join("spikes_only.toml");
    std::fs::write(&spikes_only, &text[..cut]).unwrap();
    let cfg = spikes_only.to_str().unwrap();
    run_ok(&[
        "run",
        cfg,
        "--quiet",
        "--overwrite",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.join("vm_V_m.h5").exists() && !out.join("vm_I_syn_ex.h5").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(status_of(&out).outputs, vec!["spikes.h5".to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stale_lock_of_a_dead_process_is_taken_over() {
    let dir = scratch("stale");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let mut dead = Command::new("true").spawn().unwrap();
    let pid = dead.id();
    dead.wait().unwrap();
    let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    let lock = format!(
        "host={}\npid={pid}\njob=\nstarted=1\nnonce=42\n",
        host.trim()
    );
    std::fs::write(out.join(".brainsim.lock"), lock).unwrap();
    assert!(run_vm(&out, &[]).status.success());
    assert_eq!(status_of(&out).status, "finished");
    assert!(!out.join(".brainsim.lock").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_symbolic_link_in_the_output_directory_is_not_followed() {
    let dir = scratch("symlink");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let victim = dir.join("precious.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("spikes.h5")).unwrap();
    let res = run_vm(&out, &[]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("is a symbolic link"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(!out.join("metadata.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Unmounts the test's tmpfs even when the test fails.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk (a 16 MiB tmpfs the test mounts: the suite runs as root, as
/// CI does) ends the run as failed with one line naming the file and the OS
/// error; the status says so, and the spike file is readable up to the
/// valid prefix its last flush recorded.
#[test]
fn a_full_disk_ends_the_run_as_failed_with_a_readable_valid_prefix() {
    let dir = scratch("full");
    let mnt = dir.join("disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "mounting a tmpfs needs root (CI runs as root)"
    );
    let _mounted = Mounted(mnt.clone());
    let out = mnt.join("out");
    // One thread: at most ~7 MB of spikes per wall second even on a fast
    // machine, so the first flush (after 1 s) fits and a later one does not.
    let res = bin()
        .args(["run", repo("configs/brunel.toml").to_str().unwrap()])
        .args(["--t-stop", "100000", "--threads", "1", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("spikes.h5") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    let meta = status_of(&out);
    assert_eq!(meta.status, "failed");
    assert!(meta.error.unwrap().contains("No space left on device"));
    let (until, rows) = valid_prefix(&out.join("spikes.h5"));
    assert!(
        until > 0.0 && until < 100000.0 && rows > 0,
        "{until} {rows}"
    );
    assert_eq!(
        until, meta.t_valid_ms,
        "metadata and file agree on the valid time"
    );
    drop(_mounted);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_population_whose_state_becomes_nan_fails_the_run() {
    let dir = scratch("nan");
    let cfg = dir.join("nan.toml");
    // Opposite synaptic currents of 1e308 through a tiny C_m: inf - inf.
    std::fs::write(
        &cfg,
        "[simulation]\ndt = 0.1\nt_stop = 50.0\n\n[[population]]\nname = \"cells\"\nsize = 10\nmodel = \"iaf_psc_exp\"\nparams = { C_m = 1e-300, tau_syn_in = 5.0 }\ninitial = { I_syn_ex = 1e308, I_syn_in = -1e308 }\n\n[[record]]\ntype = \"spikes\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let res = bin()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let meta = status_of(&out);
    assert_eq!(meta.status, "failed");
    assert!(meta
        .error
        .unwrap()
        .contains("population cells: V_m of node 0 is not finite"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Numeric arguments at the extremes of their types: a one-line refusal
/// (exit 2, nothing created), never a panic, an abort or a hang.
#[test]
fn extreme_numeric_arguments_are_refused_in_one_line() {
    let dir = scratch("extremes");
    let vm = repo("configs/vm_trace.toml");
    let cfg = vm.to_str().unwrap();
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["run", cfg, "--out", o, "--t-stop", "1e308"],
        &["run", cfg, "--out", o, "--t-stop", "1e-300"],
        &["run", cfg, "--out", o, "--t-stop", "-inf"],
        &["run", cfg, "--out", o, "--t-stop", "NaN"],
        &["run", cfg, "--out", o, "--threads", "18446744073709551615"],
        &["run", cfg, "--out", o, "--threads", "100000000"],
        &["run", cfg, "--out", o, "--seed", "4294967296"],
        &["partition", cfg, "--ranks", "18446744073709551615"],
        &["partition", cfg, "--ranks", "0"],
    ];
    for args in cases {
        let start = Instant::now();
        let res = bin().args(*args).output().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{args:?} took too long"
        );
        assert_eq!(
            res.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created the output directory");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A closed stdout after a finished run is the reader's business: the run
/// still exits 0 and says `finished`.
#[test]
fn a_closed_stdout_does_not_fail_a_finished_run() {
    let dir = scratch("closed-stdout");
    let out = dir.join("out");
    let cmd = format!(
        "{} run {} --quiet --out {} | true",
        env!("CARGO_BIN_EXE_brainsim"),
        repo("configs/vm_trace.toml").display(),
        out.display()
    );
    let res = Command::new("bash")
        .args(["-o", "pipefail", "-c", &cmd])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(status_of(&out).status, "finished");
    let _ = std::fs::remove_dir_all(&dir);
}
