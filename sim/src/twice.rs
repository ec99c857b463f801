//! One function body compiled twice: a portable variant and an AVX2
//! variant (`portable_and_avx2!`), for the loops that vectorise (the
//! neuron models' chunk loop, Nengo's LIF common path, the decoder solve's
//! rates), or three times with an AVX-512 variant (`fn p / a / b`; all of
//! them use it: 3% off the 512-D array's run, 8-13% off NEF builds, a
//! little off Brunel). The caller picks the widest the CPU has.
//!
//! Invariant (what the callers rely on): the variants compute the same
//! bits. Rust contracts no multiply-add into an FMA, and neither AVX2 nor
//! AVX-512F enables FMA, so the wide variants only run the same operations
//! in wider vectors. Both are `#[inline(never)]` on purpose: only as a function's
//! separate slice arguments does the compiler know that slices do not
//! overlap, which it needs to vectorise (inside a tuple or an array it does
//! not).

/// `portable_and_avx2! { #[attrs] fn portable / avx2 [/ avx512] <generics>(args) body }`
/// defines `portable` and `unsafe fn avx2` (x86_64 only; the CPU must have
/// AVX2), and `unsafe fn avx512` when named (the CPU must have AVX-512F),
/// from the one signature and body (see the module docs).
macro_rules! portable_and_avx2 {
    ($(#[$attr:meta])* fn $portable:ident / $avx2:ident / $avx512:ident $($rest:tt)*) => {
        $crate::twice::portable_and_avx2! { $(#[$attr])* fn $portable / $avx2 $($rest)* }

        $(#[$attr])*
        ///
        /// # Safety
        /// The CPU must have AVX-512F.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        #[inline(never)]
        unsafe fn $avx512 $($rest)*
    };
    ($(#[$attr:meta])* fn $portable:ident / $avx2:ident $($rest:tt)*) => {
        $(#[$attr])*
        #[inline(never)]
        fn $portable $($rest)*

        $(#[$attr])*
        ///
        /// # Safety
        /// The CPU must have AVX2.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        #[inline(never)]
        unsafe fn $avx2 $($rest)*
    };
}

pub(crate) use portable_and_avx2;
