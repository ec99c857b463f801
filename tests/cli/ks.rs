//! The two-sample Kolmogorov–Smirnov test, for comparing a distribution of
//! ours with a reference sample (tests/cli/plastic_nest.rs), and a seeded
//! subsample without replacement to draw the sample from a large set.
//!
//! Statistic: D = sup_x |F_a(x) - F_b(x)| over the two empirical
//! distribution functions, evaluated at every sample value (ties between the
//! samples are stepped together, so equal samples give D = 0). P-value: the
//! asymptotic Kolmogorov distribution, P(K > lambda) = 2 sum_{j >= 1}
//! (-1)^(j-1) exp(-2 j^2 lambda^2), at lambda = (sqrt(n_e) + 0.12 +
//! 0.11 / sqrt(n_e)) D with n_e = n_a n_b / (n_a + n_b) (Stephens' small-
//! sample correction); accurate for n_e of a few tens and more, which the
//! samples here exceed by far. The test assumes independent draws; see the
//! caller for why its samples are close to that.

/// D of the two samples (any order; NaN is not allowed).
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let sorted = |x: &[f64]| {
        let mut v = x.to_vec();
        v.sort_by(|p, q| p.partial_cmp(q).expect("no NaN"));
        v
    };
    let (a, b) = (sorted(a), sorted(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// P(K > lambda) of the Kolmogorov distribution (1 for lambda near 0).
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0; // the series converges slowly there; the value is 1 - 1e-10
    }
    let mut sum = 0.0;
    for j in 1..=100 {
        let jf = j as f64;
        let term = (-2.0 * jf * jf * lambda * lambda).exp();
        sum += if j % 2 == 1 { term } else { -term };
        if term < 1e-16 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// (D, asymptotic p-value) of the two-sample test.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d = ks_statistic(a, b);
    let ne = (a.len() * b.len()) as f64 / (a.len() + b.len()) as f64;
    let lambda = (ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d;
    (d, kolmogorov_sf(lambda))
}

/// `k` distinct indices of 0..n drawn uniformly (partial Fisher-Yates with
/// splitmix64 from `seed`), increasing.
pub fn subsample_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    assert!(k <= n, "subsample of {k} from {n}");
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + (next() % (n - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut out = idx[..k].to_vec();
    out.sort_unstable();
    out
}

#[test]
fn kolmogorov_tail_matches_its_tabulated_values() {
    // Critical values of the Kolmogorov distribution (Smirnov's table):
    // P(K > 1.2238) = 0.10, P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01.
    for (lambda, p) in [(1.2238, 0.10), (1.3581, 0.05), (1.6276, 0.01)] {
        let got = kolmogorov_sf(lambda);
        assert!((got - p).abs() < 2e-4, "P(K > {lambda}) = {got}, table {p}");
    }
    assert_eq!(kolmogorov_sf(0.0), 1.0);
    assert!(kolmogorov_sf(5.0) < 1e-20);
}

#[test]
fn ks_separates_shifted_samples_and_accepts_equal_ones() {
    // Two deterministic "uniform" samples on [0, 1): equal distributions,
    // then one shifted by 0.1 (D = 0.1 exactly on these grids).
    let a: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
    let b: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.25) / 1000.0).collect();
    let (d, p) = ks_two_sample(&a, &b);
    assert!(d <= 1e-3 + 1e-12 && p > 0.99, "D {d}, p {p}");
    let shifted: Vec<f64> = a.iter().map(|x| x + 0.1).collect();
    let (d, p) = ks_two_sample(&a, &shifted);
    assert!((d - 0.1).abs() < 1.5e-3, "D {d}"); // 0.1 up to one step of rounding
                                                // lambda = (sqrt(500) + 0.12 + 0.11 / sqrt(500)) * 0.1 = 2.2486: p = 8.1e-5.
    assert!(p > 5e-5 && p < 2e-4, "p {p}");
    assert_eq!(ks_statistic(&a, &a), 0.0);
}

#[test]
fn subsample_is_distinct_sorted_and_reproducible() {
    let s = subsample_indices(10_000, 2000, 7);
    assert_eq!(s.len(), 2000);
    assert!(s.windows(2).all(|w| w[0] < w[1]), "distinct and increasing");
    assert_eq!(s, subsample_indices(10_000, 2000, 7));
    assert_ne!(s, subsample_indices(10_000, 2000, 8));
    // Uniform: about a fifth of the draws fall in each fifth of the range.
    for q in 0..5 {
        let c = s.iter().filter(|&&i| i / 2000 == q).count();
        assert!((300..500).contains(&c), "fifth {q}: {c}");
    }
}
