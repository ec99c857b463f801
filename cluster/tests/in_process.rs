//! The whole distributed driver in one process: P in-process ranks (threads
//! over `LocalComm`) each run `driver::run` into the same output directory,
//! exactly as P MPI ranks would — per-rank spike files merged by rank 0,
//! state reports gathered to rank 0, figures gathered into the metadata. The
//! results must equal a one-rank run's, byte for byte in the datasets, for
//! P = 1..4 and every partitioner. (The MPI suite in tests/cli/mpi.rs runs the
//! same paths under mpirun, end to end.)

use std::path::{Path, PathBuf};

use brainsim_cluster::{run, RunRequest};
use brainsim_io::config::{self, LoadedConfig};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::sonata_report::{read_report, Report};
use brainsim_io::spike_reader::SpikeFile;
use brainsim_partition::Partitioner;
use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::comm::Comm;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("brainsim-inproc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cfg` (t_stop overridden) on `p` in-process ranks into `out`.
fn run_on(cfg: &LoadedConfig, t_stop: f64, p: usize, how: Partitioner, out: &Path) -> RunMetadata {
    let metas = run_ranks(p, |comm| {
        let mut spec = cfg.spec.clone();
        spec.simulation.t_stop = t_stop;
        let req = RunRequest {
            config: cfg,
            spec,
            out_dir: out.to_path_buf(),
            overwrite: false,
            threads: 1,
            partitioner: how,
            comm,
            memory: Default::default(),
            checkpoint: None,
            resume: None,
            save_weights: true,
        };
        run(req, &mut |_| {}).unwrap_or_else(|e| panic!("rank {}: {e}", comm.rank()))
    });
    metas.into_iter().next().unwrap()
}

/// Every spike as (population, node id, time bits), in file order.
fn spikes(dir: &Path) -> Vec<(String, u64, u64)> {
    let f = SpikeFile::open(&dir.join("spikes.h5")).unwrap();
    let mut all = Vec::new();
    for pop in f.populations() {
        f.for_each_chunk(&pop, 1 << 16, |ts, ids| {
            all.extend(
                ts.iter()
                    .zip(ids)
                    .map(|(t, &id)| (pop.clone(), id, t.to_bits())),
            );
            Ok(())
        })
        .unwrap();
    }
    all
}

/// Equal spike lists, or a short message naming the first difference.
fn assert_same(got: &[(String, u64, u64)], want: &[(String, u64, u64)], what: &str) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!("{what}: spike {i} is {:?}, want {:?}", got[i], want[i]);
    }
    assert_eq!(got.len(), want.len(), "{what}: spike count");
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("spikes.rank") || n.ends_with(".pid"))
        .collect()
}

#[test]
fn merged_spikes_of_1_to_4_ranks_equal_one_ranks_for_every_partitioner() {
    let dir = scratch("brunel");
    let cfg = config::load(&repo("configs/brunel.toml")).unwrap();
    let one = run_on(&cfg, 100.0, 1, Partitioner::Metis, &dir.join("p1"));
    let reference = spikes(&dir.join("p1"));
    assert!(reference.len() > 5000, "too quiet: {}", reference.len());
    assert_eq!(one.spikes as usize, reference.len());
    for p in 2..=4 {
        for how in [
            Partitioner::Metis,
            Partitioner::RoundRobin,
            Partitioner::Block,
        ] {
            let out = dir.join(format!("p{p}-{}", how.name()));
            let meta = run_on(&cfg, 100.0, p, how, &out);
            assert_same(
                &spikes(&out),
                &reference,
                &format!("{p} ranks, {}", how.name()),
            );
            assert_eq!(meta.status, "finished");
            assert_eq!(meta.ranks, p);
            assert_eq!(meta.synapses_per_rank.len(), p);
            assert_eq!(meta.synapses, one.synapses, "every synapse built once");
            assert_eq!(meta.spikes, one.spikes);
            assert!(meta.spikes_sent_per_rank.iter().all(|&s| s > 0));
            assert!(leftovers(&out).is_empty(), "parts and pid files removed");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn state_reports_gathered_from_2_and_3_ranks_match_one_rank() {
    let dir = scratch("reports");
    let text = std::fs::read_to_string(repo("configs/vm_trace.toml")).unwrap();
    // One neuron per chunk, so with several ranks each samples its own column.
    let text = text.replace("seed = 1\n", "seed = 1\nchunk_size = 1\n");
    let path = dir.join("vm.toml");
    std::fs::write(&path, text).unwrap();
    let cfg = config::load(&path).unwrap();
    let files = ["vm_V_m.h5", "vm_I_syn_ex.h5"];
    let read = |out: &Path| -> Vec<Report> {
        files
            .iter()
            .map(|f| read_report(&out.join(f), "cells").unwrap())
            .collect()
    };
    let one = read(&{
        let out = dir.join("r1");
        run_on(&cfg, 100.0, 1, Partitioner::RoundRobin, &out);
        out
    });
    assert_eq!(one[0].node_ids, vec![0, 1]);
    assert_eq!(one[0].data.len(), 2 * 1000);
    for p in [2, 3] {
        let out = dir.join(format!("r{p}"));
        let meta = run_on(&cfg, 100.0, p, Partitioner::RoundRobin, &out);
        assert!(read(&out) == one, "reports differ between 1 and {p} ranks");
        assert_eq!(meta.outputs[1..], files.map(String::from));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ranks_that_compute_different_placements_refuse_to_build() {
    let cfg = config::load(&repo("configs/brunel.toml")).unwrap();
    let errors = run_ranks(2, |comm| {
        let how = [Partitioner::Block, Partitioner::RoundRobin][comm.rank()];
        brainsim_cluster::shard::build(&cfg.spec, comm, how).err()
    });
    for e in errors {
        let e = e.expect("every rank refuses");
        assert!(e.contains("different placements"), "{e}");
    }
}
