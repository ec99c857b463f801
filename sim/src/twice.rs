//! One function body compiled twice: a portable variant and an AVX2
//! variant (`portable_and_avx2!`), for the loops that vectorise (the
//! neuron models' chunk loop, Nengo's LIF common path, the decoder solve's
//! rates, the plastic weight updates), or three times with an AVX-512
//! variant (`fn p / a / b`; all of them use it: 3% off the 512-D array's
//! run, 8-13% off NEF builds, a little off Brunel). Callers run the widest the CPU has (`widest`)
//! through `call_at!`, which holds the one unsafe dispatch.
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

/// The variants a CPU can run, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Width {
    Portable,
    Avx2,
    Avx512,
}

/// The widest variant this CPU can run (std caches the detection).
pub(crate) fn widest() -> Width {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Width::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Width::Avx2;
        }
    }
    Width::Portable
}

/// Every variant this CPU can run, narrowest first (for tests that compare
/// them).
#[cfg(test)]
pub(crate) fn available() -> impl Iterator<Item = Width> {
    [Width::Portable, Width::Avx2, Width::Avx512]
        .into_iter()
        .filter(|&w| w <= widest())
}

/// `call_at!(width; portable, avx2, avx512 [::<generics>] (args))` calls
/// the variant of `width` (a `Width` no wider than `widest()`), the
/// portable one on other architectures.
macro_rules! call_at {
    ($w:expr; $p:ident, $a2:ident, $a5:ident $(::<$($g:tt),*>)? ($($arg:expr),* $(,)?)) => {
        match $w {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the width is at most `widest()`: the CPU has AVX-512F.
            $crate::twice::Width::Avx512 => unsafe { $a5 $(::<$($g),*>)? ($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the width is at most `widest()`: the CPU has AVX2.
            $crate::twice::Width::Avx2 => unsafe { $a2 $(::<$($g),*>)? ($($arg),*) },
            _ => $p $(::<$($g),*>)? ($($arg),*),
        }
    };
}

pub(crate) use call_at;
