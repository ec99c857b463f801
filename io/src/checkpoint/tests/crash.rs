//! A process killed (SIGKILL) while it writes a checkpoint leaves the
//! earlier checkpoints readable, no `t<step>.h5` that is not, and a
//! temporary file that is not taken for a checkpoint and that `prune`
//! removes.

use std::fs;
use std::time::{Duration, Instant};

use super::*;
use crate::sonata_spikes::test_util::spawn_child;

const DIR_ENV: &str = "BRAINSIM_TEST_CHECKPOINT_KILL_DIR";

/// Child: writes checkpoints of steps 1, 2, ... into $DIR_ENV, keeping 2,
/// until it is killed. Does nothing without $DIR_ENV.
#[test]
fn child_writes_checkpoints_until_killed() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let (mut s, m) = states(0, &[8 * 2048], 2048, 5, 1, 64);
    for step in 1.. {
        s.step = step;
        write(&dir, &s, &m).unwrap();
        prune(&dir, 2).unwrap();
    }
}

/// The checkpoints of `dir`, and whether it has a temporary file.
fn files(dir: &std::path::Path) -> (usize, bool) {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let tmp = names.iter().any(|n| n.ends_with(".h5.tmp"));
    let checkpoints = names.iter().filter(|n| parse_file_name(n).is_some());
    (checkpoints.count(), tmp)
}

#[test]
fn a_kill_while_writing_leaves_the_previous_checkpoints() {
    // The kill may land just after a write: try until a temporary file is
    // left behind.
    for attempt in 0..10 {
        let dir = test_dir("ckpt-kill");
        let test = "checkpoint::tests::crash::child_writes_checkpoints_until_killed";
        let mut child = spawn_child(test, DIR_ENV, &dir);
        let start = Instant::now();
        // Two checkpoints made (and pruned after), the third being written.
        while files(&dir) != (2, true) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the child writes nothing"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let (_, tmp_left) = files(&dir);
        let (path, step) = latest_valid(&dir).unwrap().expect("a checkpoint");
        for entry in fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            if let Some(n) = parse_file_name(&name) {
                let (s, _) = read(&p).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(s.step, n);
            }
        }
        let removed = prune(&dir, 2).unwrap();
        assert_eq!(
            removed.iter().any(|p| p.extension().unwrap() == "tmp"),
            tmp_left
        );
        assert!(!files(&dir).1, "prune removed the temporary file");
        assert_eq!(latest_valid(&dir).unwrap(), Some((path, step)));
        fs::remove_dir_all(&dir).unwrap();
        if tmp_left {
            eprintln!("killed while writing step {} (attempt {attempt})", step + 1);
            return;
        }
    }
    panic!("no kill landed while a temporary file existed");
}
