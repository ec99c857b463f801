//! The outputs of a run: SONATA files that libsonata reads (checked by
//! tests/python/check_sonata.py against h5py), a V_m report that follows the
//! closed-form solution, metadata that marks the run finished.

use super::*;
use brainsim_io::metadata::RunMetadata;
use brainsim_io::sonata_report::read_report;

fn python() -> String {
    std::env::var("BRAINSIM_PYTHON")
        .unwrap_or_else(|_| repo(".venv/bin/python").to_string_lossy().into_owned())
}

#[test]
fn vm_report_follows_closed_form_and_libsonata_reads_everything() {
    let dir = scratch("vm");
    run_ok(&[
        "run",
        repo("configs/vm_trace.toml").to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    let meta = RunMetadata::read(&dir).unwrap();
    assert!(meta.is_finished());
    assert_eq!(
        meta.outputs,
        vec!["spikes.h5", "vm_V_m.h5", "vm_I_syn_ex.h5"]
    );

    // V_m of both neurons from the report (float32), against the closed forms.
    let report = read_report(&dir.join("vm_V_m.h5"), "cells").unwrap();
    let time = report.time;
    assert_eq!(report.node_ids, vec![0, 1]);
    assert_eq!(report.data.len(), 1000 * 2);
    assert!(
        (time[0] - 0.1).abs() < 1e-12
            && (time[1] - 100.1).abs() < 1e-9
            && (time[2] - 0.1).abs() < 1e-12,
        "{time:?}"
    );
    let (c_m, tau_m, tau_s) = (250.0, 10.0, 2.0);
    for (k, row) in report.data.chunks(2).enumerate() {
        let t = time[0] + k as f64 * time[2];
        // DC 375 pA during [10, 60): charge, then relax.
        let r_i = 375.0 * tau_m / c_m;
        let dc = if t <= 10.0 {
            0.0
        } else {
            let v_on = r_i * (1.0 - (-(t.min(60.0) - 10.0) / tau_m).exp());
            if t <= 60.0 {
                v_on
            } else {
                v_on * (-(t - 60.0) / tau_m).exp()
            }
        };
        let psp = |u: f64| {
            if u <= 0.0 {
                0.0
            } else {
                100.0 / c_m * tau_s * tau_m / (tau_m - tau_s)
                    * ((-u / tau_m).exp() - (-u / tau_s).exp())
            }
        };
        let syn: f64 = [5.0, 20.0, 20.5, 50.0]
            .iter()
            .map(|&tk| psp(t - tk - 1.0))
            .sum();
        for (got, want) in [(row[0], -70.0 + dc), (row[1], -70.0 + syn)] {
            // float32 storage: relative 1e-6 of ~70 mV.
            assert!(
                (f64::from(got) - want).abs() < 1e-4,
                "t = {t}: {got} vs {want}"
            );
        }
    }

    let check = std::process::Command::new(python())
        .arg(repo("tests/python/check_sonata.py"))
        .arg(&dir)
        .output()
        .expect("python runs");
    assert!(
        check.status.success(),
        "libsonata check failed:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn brunel_spikes_are_read_by_libsonata() {
    let dir = scratch("brunel-sonata");
    run_ok(&[
        "run",
        repo("configs/brunel.toml").to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--t-stop",
        "100",
    ]);
    let check = std::process::Command::new(python())
        .arg(repo("tests/python/check_sonata.py"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // The analyzer runs on it and draws the raster.
    let out = run_ok(&["analyze", dir.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("rate_hz"));
    assert!(dir.join("raster.png").metadata().unwrap().len() > 1000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spikes_of_a_gid_subset_are_exactly_those_of_the_full_run() {
    let dir = scratch("gids");
    let full = dir.join("full");
    run_ok(&[
        "run",
        repo("configs/brunel.toml").to_str().unwrap(),
        "--out",
        full.to_str().unwrap(),
        "--t-stop",
        "100",
    ]);
    // Record only E gids 0 and 5 and I gid 10001 (I node 1).
    let text = std::fs::read_to_string(repo("configs/brunel.toml")).unwrap();
    let text = text.replace("populations = [\"E\", \"I\"]", "gids = [0, 5, 10001]");
    let cfg = dir.join("subset.toml");
    std::fs::write(&cfg, text).unwrap();
    let part = dir.join("part");
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        part.to_str().unwrap(),
        "--t-stop",
        "100",
    ]);
    let wanted = |(pop, id, _): &&(String, u64, u64)| {
        (pop == "E" && (*id == 0 || *id == 5)) || (pop == "I" && *id == 1)
    };
    let expected: Vec<_> = read_spikes(&full).iter().filter(wanted).cloned().collect();
    assert!(
        expected.len() >= 6,
        "too few spikes to compare: {}",
        expected.len()
    );
    assert_eq!(read_spikes(&part), expected);
    let _ = std::fs::remove_dir_all(&dir);
}
