//! The NEF benchmark networks of `bench/nef.py`, built and run in one
//! process:
//! - `nef_bench array D N SECONDS`: a D-dimensional state as an ensemble
//!   array (D ensembles of N neurons, one dimension each) fed by a
//!   D-dimensional sine node, every ensemble probed (Lowpass 0.01 s);
//! - `nef_bench circconv D N SECONDS`: Nengo's `CircularConvolution(N, D)`
//!   (`circconv.rs`) of two fixed D-dimensional unit vectors, its output
//!   probed (Lowpass 0.01 s); the JSON also gives the RMSE of the last
//!   probed value against the exact circular convolution.
//!
//! Prints one JSON line: neurons, build and run seconds, threads.

mod circconv;

use brainsim_sim::nef::{
    ConnectionSpec, EnsembleParams, NefSim, NetSpec, NodeOutput, Post, Pre, ProbeOf, ProbeSpec,
};
use std::time::Instant;

/// The ensemble array network (see the module docs).
fn array(d: usize, n: usize) -> NetSpec {
    let phases: Vec<f64> = (0..d)
        .map(|k| 2.0 * std::f64::consts::PI * k as f64 / d as f64)
        .collect();
    let mut s = NetSpec {
        dt: 0.001,
        seed: 1,
        ensembles: Vec::new(),
        nodes: vec![(
            "in".into(),
            NodeOutput::Sine {
                frequency: vec![1.0; d],
                amplitude: vec![1.0; d],
                phase: phases,
            },
        )],
        connections: Vec::new(),
        probes: Vec::new(),
    };
    for k in 0..d {
        s.ensembles
            .push((format!("e{k}"), EnsembleParams::new(n, 1)));
        let mut c = ConnectionSpec::new(Pre::Node(0), Post::Ensemble(k));
        c.pre_slice = Some(k..k + 1);
        s.connections.push(c);
        s.probes.push(ProbeSpec {
            name: format!("e{k}"),
            of: ProbeOf::Decoded(k),
            synapse: Some(0.01),
        });
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: nef_bench array|circconv D N SECONDS";
    if args.len() != 4 || !["array", "circconv"].contains(&args[0].as_str()) {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let num = |i: usize| -> f64 { args[i].parse().unwrap_or_else(|_| panic!("{usage}")) };
    let (d, n, seconds) = (num(1) as usize, num(2) as usize, num(3));
    let t0 = Instant::now();
    let (spec, ideal) = if args[0] == "array" {
        (array(d, n), None)
    } else {
        let (spec, ideal) = circconv::network(d, n);
        (spec, Some(ideal))
    };
    let built = spec.build().expect("the benchmark network builds");
    let build = t0.elapsed().as_secs_f64();
    let neurons: usize = built.ensembles.iter().map(|e| e.n_neurons()).sum();
    let t1 = Instant::now();
    let mut sim = NefSim::new(&built);
    sim.run((seconds / spec.dt).round() as u64);
    let run = t1.elapsed().as_secs_f64();
    let last: f64 = (0..spec.probes.len())
        .map(|k| sim.record(k).last().copied().unwrap_or(0.0))
        .sum();
    let rmse = ideal.map_or(String::new(), |ideal| {
        let rec = sim.record(0);
        let got = &rec[rec.len() - ideal.len()..];
        let e = got
            .iter()
            .zip(&ideal)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>();
        format!(", \"rmse\": {}", (e / ideal.len() as f64).sqrt())
    });
    println!(
        "{{\"neurons\": {neurons}, \"build_seconds\": {build}, \"run_seconds\": {run}, \"threads\": {}, \"checksum\": {last}{rmse}}}",
        rayon::current_num_threads()
    );
}
