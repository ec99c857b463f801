//! Nengo's `networks.CircularConvolution(n_neurons, dimensions)` written
//! with passthrough nodes as Nengo builds it, for the benchmark: inputs A
//! and B go to the Fourier domain by `transform_in` (rows: real and
//! imaginary parts of the half DFT, aligned for A and for B; 4 (D/2 + 1)
//! of them), a `Product` network multiplies them pairwise (two ensemble
//! arrays of n/2 neurons per product computing squares: ab = ((a + b)^2 -
//! (a - b)^2) / 4, radius 2 sqrt 2 for input magnitude 1), and
//! `transform_out` (the inverse half DFT, / D) gives the D-dimensional
//! result. Two 64-D node inputs feed it through Lowpass(0.005) and its
//! output is probed through Lowpass(0.01), as the Python side does.

use brainsim_sim::nef::{
    ConnectionSpec, EnsembleParams, Function, NetSpec, NodeOutput, Post, Pre, ProbeOf, ProbeSpec,
    Transform,
};
use nalgebra::DMatrix;
use std::f64::consts::PI;

/// The half DFT of size n: row w, column x: exp(-2 pi i w x / n) as
/// (real, imaginary) parts.
fn dft_half(n: usize) -> (DMatrix<f64>, DMatrix<f64>) {
    let rows = n / 2 + 1;
    let angle = |w: usize, x: usize| -2.0 * PI * (w * x) as f64 / n as f64;
    (
        DMatrix::from_fn(rows, n, |w, x| angle(w, x).cos()),
        DMatrix::from_fn(rows, n, |w, x| angle(w, x).sin()),
    )
}

/// Into the Fourier domain, rows aligned for input A (`b` false) or B.
fn transform_in(d: usize, b: bool) -> DMatrix<f64> {
    let (re, im) = dft_half(d);
    DMatrix::from_fn(4 * (d / 2 + 1), d, |i, x| {
        let real = if b {
            i % 4 == 0 || i % 4 == 3
        } else {
            i % 2 == 0
        };
        if real {
            re[(i / 4, x)]
        } else {
            im[(i / 4, x)]
        }
    })
}

/// Back from the products to d dimensions (d x 4 (d/2 + 1)).
fn transform_out(d: usize) -> DMatrix<f64> {
    let (re, im) = dft_half(d);
    DMatrix::from_fn(d, 4 * (d / 2 + 1), |x, i| {
        let w = i / 4;
        let twice = if w == 0 || 2 * w == d { 1.0 } else { 2.0 };
        // The inverse DFT is the conjugate: imaginary parts change sign.
        let (r, m) = (twice * re[(w, x)], -twice * im[(w, x)]);
        let v = match i % 4 {
            0 => r,
            1 => -r,
            _ => -m,
        };
        v / d as f64
    })
}

/// Two fixed random unit vectors of `d` dimensions (Gaussian, normalised:
/// semantic pointers; deterministic, from `seed`), as the Python side
/// draws them with NumPy's `default_rng(seed)`: not the same draws, the
/// same law.
fn inputs(d: usize) -> (Vec<f64>, Vec<f64>) {
    let unit = |seed: u32| {
        let id = brainsim_sim::rng::stream_id(brainsim_sim::rng::Purpose::Nef, 1 << 20);
        let mut s = brainsim_sim::rng::Stream::new(seed, id, 0, 0);
        let v: Vec<f64> = (0..d).map(|_| s.normal()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.into_iter().map(|x| x / norm).collect::<Vec<_>>()
    };
    (unit(1), unit(2))
}

/// The exact circular convolution of `a` and `b`.
fn convolve(a: &[f64], b: &[f64]) -> Vec<f64> {
    let d = a.len();
    (0..d)
        .map(|k| (0..d).map(|j| a[j] * b[(k + d - j) % d]).sum())
        .collect()
}

/// Appends a passthrough node of `d` dimensions; its index.
fn passthrough(s: &mut NetSpec, name: &str, d: usize) -> usize {
    s.nodes
        .push((name.into(), NodeOutput::Passthrough { dimensions: d }));
    s.nodes.len() - 1
}

fn conn(s: &mut NetSpec, pre: Pre, post: Post, t: Transform, synapse: Option<f64>) {
    let mut c = ConnectionSpec::new(pre, post);
    c.transform = t;
    c.synapse = synapse;
    s.connections.push(c);
}

/// An ensemble array of `count` 1-D ensembles of `n` neurons and `radius`
/// fed from passthrough `input` one dimension each, each decoding
/// `function` into dimension i of passthrough `output`.
fn square_array(s: &mut NetSpec, count: usize, n: usize, radius: f64, input: usize, output: usize) {
    for i in 0..count {
        let mut p = EnsembleParams::new(n, 1);
        p.radius = radius;
        s.ensembles.push((format!("sq{}", s.ensembles.len()), p));
        let e = s.ensembles.len() - 1;
        let mut c = ConnectionSpec::new(Pre::Node(input), Post::Ensemble(e));
        c.pre_slice = Some(i..i + 1);
        c.synapse = None;
        s.connections.push(c);
        let mut c = ConnectionSpec::new(Pre::Ensemble(e), Post::Node(output));
        c.function = Function::Square;
        c.transform = Transform::Matrix(DMatrix::from_fn(count, 1, |r, _| (r == i) as u8 as f64));
        c.synapse = None;
        s.connections.push(c);
    }
}

/// The network and the ideal output.
pub fn network(d: usize, n: usize) -> (NetSpec, Vec<f64>) {
    let (a, b) = inputs(d);
    let ideal = convolve(&a, &b);
    let mut s = NetSpec {
        dt: 0.001,
        seed: 1,
        ensembles: Vec::new(),
        nodes: vec![
            ("a".into(), NodeOutput::Constant(a)),
            ("b".into(), NodeOutput::Constant(b)),
        ],
        connections: Vec::new(),
        probes: Vec::new(),
    };
    let out = wire(&mut s, d, n);
    s.probes.push(ProbeSpec {
        name: "out".into(),
        of: ProbeOf::Node(out),
        synapse: Some(0.01),
    });
    (s, ideal)
}

/// The network between the input nodes (0 and 1) and the output
/// passthrough node, whose index it returns.
fn wire(s: &mut NetSpec, d: usize, n: usize) -> usize {
    let (tr_a, tr_b, tr_out) = (
        transform_in(d, false),
        transform_in(d, true),
        transform_out(d),
    );
    let m = tr_a.nrows();
    let [in_a, in_b, out] = ["in_a", "in_b", "out"].map(|x| passthrough(s, x, d));
    let [pa, pb, sq1_in, sq2_in, sq1_out, sq2_out, p_out] = [
        "pa", "pb", "sq1_in", "sq2_in", "sq1_out", "sq2_out", "p_out",
    ]
    .map(|x| passthrough(s, x, m));
    let one = || Transform::Scalar(1.0);
    conn(s, Pre::Node(0), Post::Node(in_a), one(), Some(0.005));
    conn(s, Pre::Node(1), Post::Node(in_b), one(), Some(0.005));
    conn(
        s,
        Pre::Node(in_a),
        Post::Node(pa),
        Transform::Matrix(tr_a),
        None,
    );
    conn(
        s,
        Pre::Node(in_b),
        Post::Node(pb),
        Transform::Matrix(tr_b),
        None,
    );
    let r = 1.0 / 2f64.sqrt();
    for (pre, post, t) in [
        (pa, sq1_in, r),
        (pb, sq1_in, r),
        (pa, sq2_in, r),
        (pb, sq2_in, -r),
    ] {
        conn(
            s,
            Pre::Node(pre),
            Post::Node(post),
            Transform::Scalar(t),
            None,
        );
    }
    // Product(n, m, input_magnitude = 2): radius 2 sqrt 2, n / 2 neurons.
    let radius = 2.0 * 2f64.sqrt();
    square_array(s, m, (n / 2).max(1), radius, sq1_in, sq1_out);
    square_array(s, m, (n / 2).max(1), radius, sq2_in, sq2_out);
    conn(
        s,
        Pre::Node(sq1_out),
        Post::Node(p_out),
        Transform::Scalar(0.5),
        None,
    );
    conn(
        s,
        Pre::Node(sq2_out),
        Post::Node(p_out),
        Transform::Scalar(-0.5),
        None,
    );
    conn(
        s,
        Pre::Node(p_out),
        Post::Node(out),
        Transform::Matrix(tr_out),
        None,
    );
    out
}
