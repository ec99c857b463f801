//! Sequential draws from one Philox stream, and the samplers built on them.
//!
//! A `Stream` is identified by (seed, stream id, entity, sub-entity); it
//! enumerates Philox blocks by incrementing counter word 0. Whoever owns the
//! entity (a target gid, a chunk) draws from its stream in a fixed order, so
//! the values depend only on *what* is drawn, never on threads or ranks.

use crate::philox::philox4x32;

/// Purposes of random streams (high byte of the stream id), so that streams of
/// different purposes never share a counter.
#[derive(Clone, Copy, Debug)]
#[repr(u32)]
pub enum Purpose {
    /// Connection rules (per projection).
    Connect = 1,
    /// Initial values (per population).
    Initial = 2,
    /// Poisson generators (per device).
    Poisson = 3,
    /// fixed_total_number's split among target chunks (per projection).
    Split = 4,
    /// Poisson trains of piecewise constant rate: inhomogeneous Poisson
    /// generators and rate encoders (per device).
    VaryingPoisson = 5,
    /// NEF ensemble parameters: encoders, rates, intercepts, eval points,
    /// initial voltages (per ensemble; `nef::ensemble`).
    Nef = 6,
    /// NEF nodes' white noise (per node; entity and sub = the step's low
    /// and high words; `nef::node`).
    NefNoise = 7,
}

/// Stream id from a purpose and an object index (projection, device, population).
pub fn stream_id(purpose: Purpose, index: usize) -> u32 {
    ((purpose as u32) << 24) | (index as u32 & 0x00FF_FFFF)
}

/// A sequence of u32 draws from Philox with key (seed, stream id) and counter
/// (block, entity, sub-entity, 0).
///
/// Invariant: the words come out in the order of the blocks, whatever the
/// refills: a refill computes the next block (the first time) or the next
/// eight at once (afterwards: a stream that needed a second block is
/// likely long, and eight blocks cost about two through the vectorised
/// Philox), with the counter carried exactly as one block at a time would
/// (`tests::batched_refills_give_the_same_words`).
#[derive(Clone, Debug)]
pub struct Stream {
    key: [u32; 2],
    ctr: [u32; 4],
    buf: [u32; BATCH_WORDS],
    /// Words of `buf` filled by the last refill, and the next one's index.
    len: usize,
    pos: usize,
    /// Refills so far (saturating): the first is one block.
    refills: u8,
}

/// Words per `Stream::next_words`: eight Philox blocks.
pub const BATCH_WORDS: usize = 32;

/// A word as a uniform on [0, 1): w / 2^32, exact (`uniform32`).
#[inline(always)]
pub fn unit32(w: u32) -> f64 {
    f64::from(w) * (1.0 / 4_294_967_296.0)
}

/// A word as a uniform on (0, 1): (w + 1/2) / 2^32 (`uniform_open32`).
#[inline(always)]
pub fn open_unit(w: u32) -> f64 {
    (f64::from(w) + 0.5) * (1.0 / 4_294_967_296.0)
}

impl Stream {
    /// The stream of (`seed`, `stream` id, `entity`, `sub`), at its start.
    pub fn new(seed: u32, stream: u32, entity: u32, sub: u32) -> Self {
        Self {
            key: [seed, stream],
            ctr: [0, entity, sub, 0],
            buf: [0; BATCH_WORDS],
            len: 0,
            pos: 0,
            refills: 0,
        }
    }

    /// The stream of (`seed`, `stream`, `entity`, `sub`, `extra`): the
    /// fourth counter word, 0 in `new`, keys one more level (e.g. the target
    /// chunk of a procedural row).
    pub fn new_with(seed: u32, stream: u32, entity: u32, sub: u32, extra: u32) -> Self {
        let mut s = Self::new(seed, stream, entity, sub);
        s.ctr[3] = extra;
        s
    }

    /// The next `BATCH_WORDS` words, exactly as as many `next_u32` calls
    /// would give them: eight Philox blocks at once when the stream is at a
    /// block boundary (vectorised), else one word at a time.
    #[inline]
    pub fn next_words(&mut self, out: &mut [u32; BATCH_WORDS]) {
        if self.pos != self.len {
            out.iter_mut().for_each(|w| *w = self.next_u32());
            return;
        }
        crate::philox::blocks_x8(self.ctr, self.key, out);
        self.ctr[0] = self.ctr[0].wrapping_add(8);
    }

    /// Drops what is left of the current block: the next word is the first
    /// of the next block (a no-op at a block boundary).
    #[inline]
    pub fn align(&mut self) {
        self.pos = self.pos.next_multiple_of(4);
    }

    /// The next 32-bit word (four per Philox block).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == self.len {
            self.refill();
        }
        let v = self.buf[self.pos];
        self.pos += 1;
        v
    }

    /// Fills `buf` with the next block, or the next eight (see the type's
    /// invariant).
    #[inline(never)]
    fn refill(&mut self) {
        let c = self.ctr;
        if self.refills > 0 && c[0] <= u32::MAX - 8 {
            // No carry into counter word 3 within these eight blocks.
            crate::philox::blocks_x8(c, self.key, &mut self.buf);
            self.ctr[0] = c[0] + 8;
            self.len = BATCH_WORDS;
        } else {
            self.buf[..4].copy_from_slice(&philox4x32(c, self.key));
            self.ctr[0] = c[0].wrapping_add(1);
            if self.ctr[0] == 0 {
                self.ctr[3] = self.ctr[3].wrapping_add(1);
            }
            self.len = 4;
        }
        self.pos = 0;
        self.refills = self.refills.saturating_add(1);
    }

    /// Uniform in (0, 1) with 32 bits of resolution (never 0 or 1).
    #[inline]
    pub fn uniform_open32(&mut self) -> f64 {
        open_unit(self.next_u32())
    }

    /// Uniform in [0, 1) with 32 bits of resolution: one word, w / 2^32
    /// (exact). For draws put on a coarse grid, as delays on dt's.
    #[inline]
    pub fn uniform32(&mut self) -> f64 {
        unit32(self.next_u32())
    }

    /// Uniform in [0, 1) with 53 bits of resolution.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        let hi = u64::from(self.next_u32()) << 21;
        let lo = u64::from(self.next_u32()) >> 11;
        ((hi | lo) as f64) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in [0, n), n >= 1, without bias (Lemire's method).
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        let mut m = u64::from(self.next_u32()) * u64::from(n);
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = u64::from(self.next_u32()) * u64::from(n);
            }
        }
        (m >> 32) as u32
    }

    /// Standard normal deviate (ziggurat method of Marsaglia & Tsang 2000,
    /// 128 layers; the layer index and the magnitude come from disjoint bits).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let z = ziggurat();
        loop {
            let j = self.next_u32() as i32;
            let layer = (j & 127) as usize;
            let h = j >> 7; // signed, |h| < 2^24
            let x = f64::from(h) * z.w[layer];
            if h.unsigned_abs() < z.k[layer] {
                return x;
            }
            if layer == 0 {
                // Tail beyond r: Marsaglia's exponential rejection.
                loop {
                    let xt = -self.uniform_open32().ln() / ZIG_R;
                    let y = -self.uniform_open32().ln();
                    if y + y >= xt * xt {
                        return if h > 0 { ZIG_R + xt } else { -ZIG_R - xt };
                    }
                }
            }
            if z.f[layer] + self.uniform_open32() * (z.f[layer - 1] - z.f[layer])
                < (-0.5 * x * x).exp()
            {
                return x;
            }
        }
    }

    /// Exponential deviate with mean 1.
    #[inline]
    pub fn exponential(&mut self) -> f64 {
        -self.uniform_open32().ln()
    }

    /// Binomial(n, p) deviate. Exact inversion when the mean of the smaller
    /// tail is below 40; otherwise the normal approximation with continuity
    /// correction, clamped to [0, n] (relative error of the moments < 1% there;
    /// used only to split connection counts among chunks).
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        let (q, flip) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
        let mean = n as f64 * q;
        let k = if mean < 40.0 {
            // Inversion: walk the pmf from 0.
            let u = self.uniform();
            let r = q / (1.0 - q);
            let mut pk = (1.0 - q).powf(n as f64);
            let mut cdf = pk;
            let mut k = 0u64;
            while u > cdf && k < n {
                pk *= r * (n - k) as f64 / (k + 1) as f64;
                k += 1;
                cdf += pk;
                if pk < 1e-300 && cdf >= u {
                    break;
                }
            }
            k
        } else {
            let sd = (mean * (1.0 - q)).sqrt();
            let x = (mean + sd * self.normal()).round();
            x.clamp(0.0, n as f64) as u64
        };
        if flip {
            n - k
        } else {
            k
        }
    }

    /// Hypergeometric deviate: successes among `draws` taken without
    /// replacement from `total` items of which `good` are successes. Exact
    /// (one draw at a time) when `draws` or `good` is at most 40, else the
    /// normal approximation with the exact mean and variance, rounded and
    /// clamped to the feasible range (as `binomial`; used only to split
    /// connection counts).
    pub fn hypergeometric(&mut self, draws: u64, good: u64, total: u64) -> u64 {
        debug_assert!(draws <= total && good <= total);
        let lo = (draws + good).saturating_sub(total);
        let hi = draws.min(good);
        if lo == hi {
            return lo;
        }
        if draws.min(good) <= 40 {
            let (mut good_left, mut left, mut k) = (good, total, 0);
            for _ in 0..draws {
                // below() takes u32: totals beyond it draw from a uniform.
                let hit = if left <= u64::from(u32::MAX) {
                    u64::from(self.below(left as u32)) < good_left
                } else {
                    self.uniform() * (left as f64) < good_left as f64
                };
                if hit {
                    good_left -= 1;
                    k += 1;
                }
                left -= 1;
            }
            return k;
        }
        let (n, g, t) = (draws as f64, good as f64, total as f64);
        let mean = n * g / t;
        let var = mean * (1.0 - g / t) * (t - n) / (t - 1.0);
        let x = (mean + var.sqrt() * self.normal()).round();
        (x.max(lo as f64) as u64).clamp(lo, hi)
    }
}

const ZIG_R: f64 = 3.442_619_855_899;
const ZIG_V: f64 = 9.912_563_035_262_17e-3;
const ZIG_M: f64 = 16_777_216.0; // 2^24, the magnitude range of `h`

struct Ziggurat {
    k: [u32; 128],
    w: [f64; 128],
    f: [f64; 128],
}

fn ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut z = Ziggurat {
            k: [0; 128],
            w: [0.0; 128],
            f: [0.0; 128],
        };
        let mut d = ZIG_R;
        let mut t = d;
        let q = ZIG_V / (-0.5 * d * d).exp();
        z.k[0] = (d / q * ZIG_M) as u32;
        z.k[1] = 0;
        z.w[0] = q / ZIG_M;
        z.w[127] = d / ZIG_M;
        z.f[0] = 1.0;
        z.f[127] = (-0.5 * d * d).exp();
        for i in (1..=126).rev() {
            d = (-2.0 * (ZIG_V / d + (-0.5 * d * d).exp()).ln()).sqrt();
            z.k[i + 1] = (d / t * ZIG_M) as u32;
            t = d;
            z.f[i] = (-0.5 * d * d).exp();
            z.w[i] = d / ZIG_M;
        }
        z
    })
}

/// Inverse of the standard normal CDF (P. J. Acklam's rational approximation,
/// relative error below 1.2e-9), for p in (0, 1).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight blocks at a time give the words one at a time would, from a
    /// block boundary or from the middle of a block.
    #[test]
    fn next_words_are_next_u32s() {
        for skip in [0, 1, 3, 4, 37] {
            let (mut a, mut b) = (Stream::new(1, 2, 3, 4), Stream::new(1, 2, 3, 4));
            for _ in 0..skip {
                assert_eq!(a.next_u32(), b.next_u32());
            }
            for _ in 0..5 {
                let mut words = [0u32; BATCH_WORDS];
                a.next_words(&mut words);
                let want: Vec<u32> = (0..BATCH_WORDS).map(|_| b.next_u32()).collect();
                assert_eq!(words.to_vec(), want, "after {skip}");
            }
            assert_eq!(a.next_u32(), b.next_u32());
        }
    }

    /// The words of Philox blocks `first`.. of (key, entity, sub, extra),
    /// one block at a time, carrying counter word 0 into word 3.
    fn blocks_from(first: u32, n: usize) -> Vec<u32> {
        let mut ctr = [first, 3, 4, 9];
        let mut out = Vec::new();
        for _ in 0..n {
            out.extend(philox4x32(ctr, [1, 2]));
            ctr[0] = ctr[0].wrapping_add(1);
            if ctr[0] == 0 {
                ctr[3] += 1;
            }
        }
        out
    }

    /// Refills of one block, then of eight, give Philox's blocks in order
    /// (also across `align` and across the wrap of counter word 0, where
    /// refills go back to one block at a time).
    #[test]
    fn batched_refills_give_the_same_words() {
        for first in [0, u32::MAX - 20] {
            let want = blocks_from(first, 100);
            let mut s = Stream::new_with(1, 2, 3, 4, 9);
            s.ctr[0] = first;
            let got: Vec<u32> = (0..want.len()).map(|_| s.next_u32()).collect();
            assert_eq!(got, want, "from block {first}");
            if first == 0 {
                assert_eq!(s.refills, 14, "one block, then 13 times eight");
            }
        }
        let want = blocks_from(0, 40);
        let mut s = Stream::new_with(1, 2, 3, 4, 9);
        let mut got = Vec::new();
        for k in 0..30 {
            got.extend((0..k % 7).map(|_| s.next_u32()));
            s.align();
            got.resize(got.len().next_multiple_of(4), 0);
        }
        let kept = |v: &[u32]| v.iter().zip(&want).all(|(g, w)| *g == 0 || g == w);
        assert!(kept(&got), "aligned draws are the blocks' first words");
    }

    #[test]
    fn inverse_normal_matches_known_quantiles() {
        // Quantiles of the standard normal (Abramowitz & Stegun, table 26.5).
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.841_344_746_068_543, 1.0),
            (0.001, -3.090_232_306_167_813),
            (0.01, -2.326_347_874_040_841),
        ] {
            let got = inverse_normal_cdf(p);
            assert!(
                (got - z).abs() < 1e-8 * z.abs().max(1.0),
                "p={p}: {got} vs {z}"
            );
        }
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u32> = (0..9)
            .scan(Stream::new(7, 1, 2, 3), |s, _| Some(s.next_u32()))
            .collect();
        let b: Vec<u32> = (0..9)
            .scan(Stream::new(7, 1, 2, 3), |s, _| Some(s.next_u32()))
            .collect();
        let c: Vec<u32> = (0..9)
            .scan(Stream::new(7, 1, 2, 4), |s, _| Some(s.next_u32()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn samplers_have_the_right_moments() {
        let mut s = Stream::new(1, 2, 3, 4);
        let n = 400_000;
        let (mut m, mut m2) = (0.0, 0.0);
        for _ in 0..n {
            let x = s.normal();
            m += x;
            m2 += x * x;
        }
        m /= n as f64;
        let var = m2 / n as f64 - m * m;
        // Standard error of the mean 1/sqrt(n) = 0.0016; of the variance ~0.0022.
        assert!(m.abs() < 0.008, "mean {m}");
        assert!((var - 1.0).abs() < 0.012, "var {var}");
        // Tail mass beyond 2 and 3.5 sigma (Phi: 0.0455, 4.65e-4), covering the
        // ziggurat's wedges and its tail algorithm.
        let (mut t2, mut t35) = (0u32, 0u32);
        for _ in 0..n {
            let x = s.normal().abs();
            t2 += u32::from(x > 2.0);
            t35 += u32::from(x > 3.5);
        }
        let (e2, e35) = (0.045_500_263_9 * n as f64, 4.652_581e-4 * n as f64);
        assert!((f64::from(t2) - e2).abs() < 5.0 * e2.sqrt(), "{t2} vs {e2}");
        assert!(
            (f64::from(t35) - e35).abs() < 5.0 * e35.sqrt(),
            "{t35} vs {e35}"
        );
        let mut counts = [0u32; 7];
        for _ in 0..n {
            counts[s.below(7) as usize] += 1;
        }
        for c in counts {
            let expected = n as f64 / 7.0;
            assert!((f64::from(c) - expected).abs() < 5.0 * expected.sqrt());
        }
        for (nn, p) in [(100u64, 0.05), (1_000_000, 0.3), (50, 0.9)] {
            let trials = 20_000;
            let mean: f64 =
                (0..trials).map(|_| s.binomial(nn, p) as f64).sum::<f64>() / trials as f64;
            let expected = nn as f64 * p;
            let se = (expected * (1.0 - p) / trials as f64).sqrt();
            assert!(
                (mean - expected).abs() < 5.0 * se,
                "binomial({nn},{p}) mean {mean}"
            );
        }
    }
}
