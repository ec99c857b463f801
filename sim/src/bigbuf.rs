//! Large, long-lived arrays (synapse stores, ring buffers) in memory the OS
//! may back with 2 MiB transparent huge pages.
//!
//! Why: delivery reads one row of synapses per (spike, chunk) at a random place
//! in gigabytes of synapses. With 4 KiB pages nearly every row misses the TLB,
//! and a page walk (two-dimensional under a hypervisor) comes before the cache
//! miss. Measured with a stand-alone loop on this machine (random 560-byte
//! rows out of 2.4 GB, prefetch four rows ahead): 6.4 ns per 8-byte synapse
//! with 4 KiB pages, 3.5 ns with huge pages.
//!
//! Huge pages are only used when granted at the first touch: the mapping is
//! 2 MiB-aligned and advised with `MADV_HUGEPAGE` before anything is written
//! (advising memory that is already populated leaves it in small pages until
//! khugepaged gets to it, which is why an earlier `madvise` on a filled Vec
//! gained little). Below `MIN_BYTES`, or off Linux, a plain Vec is used.
//!
//! Invariant: `T` is plain data for which all-zero bytes are a valid value
//! (`Zeroable`), because a fresh anonymous mapping reads as zeros.

use std::ops::{Deref, DerefMut};

/// Types whose all-zero bit pattern is a valid value.
///
/// # Safety
/// Implementors must be `Copy`, contain no pointers or references, and be
/// valid when every byte is zero.
pub unsafe trait Zeroable: Copy {}
// SAFETY: integers are valid for any bit pattern.
unsafe impl Zeroable for i32 {}
// SAFETY: as above.
unsafe impl Zeroable for u32 {}
// SAFETY: as above.
unsafe impl Zeroable for u8 {}

/// Below this size the buffer is a Vec (huge pages would waste memory).
const MIN_BYTES: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;

/// Bytes a `BigBuf` of `bytes` requested bytes holds (and `bytes()` reports):
/// whole huge pages from `MIN_BYTES` on (Linux), else exactly `bytes`. The
/// memory estimate uses it, so it cannot drift from the allocation.
pub fn footprint(bytes: usize) -> usize {
    if cfg!(target_os = "linux") && bytes >= MIN_BYTES {
        bytes.div_ceil(HUGE_PAGE) * HUGE_PAGE
    } else {
        bytes
    }
}

/// A fixed-length, zero-initialised array of `T`: a 2 MiB-aligned anonymous
/// mapping advised for huge pages (Linux, at least `MIN_BYTES`), else a Vec.
/// Derefs to `[T]`.
pub struct BigBuf<T: Zeroable> {
    inner: Inner<T>,
}

enum Inner<T> {
    Vec(Vec<T>),
    #[cfg(target_os = "linux")]
    Mapped {
        base: *mut libc::c_void,
        map_bytes: usize,
        len: usize,
    },
}

// SAFETY: the mapping is owned exclusively by this value, like a Vec's buffer.
unsafe impl<T: Zeroable + Send> Send for BigBuf<T> {}
// SAFETY: shared access only reads through `&[T]`.
unsafe impl<T: Zeroable + Sync> Sync for BigBuf<T> {}

impl<T: Zeroable> BigBuf<T> {
    /// `len` zero values.
    pub fn zeroed(len: usize) -> Self {
        let bytes = len * std::mem::size_of::<T>();
        #[cfg(target_os = "linux")]
        if bytes >= MIN_BYTES {
            if let Some(inner) = map_huge(len, bytes) {
                return Self { inner };
            }
        }
        let _ = bytes;
        // SAFETY: the layout is non-zero-sized (checked) and `alloc_zeroed`'s
        // null result is handled; the pointer comes from the global allocator
        // with exactly `Layout::array::<T>(len)`, as `Vec::from_raw_parts`
        // requires for capacity `len`; its `len` elements are initialised
        // because all-zero bytes are a valid `T` (`T: Zeroable`).
        let v = unsafe {
            let layout = std::alloc::Layout::array::<T>(len).expect("buffer too large");
            if layout.size() == 0 {
                Vec::new()
            } else {
                let p = std::alloc::alloc_zeroed(layout) as *mut T;
                if p.is_null() {
                    std::alloc::handle_alloc_error(layout);
                }
                Vec::from_raw_parts(p, len, len)
            }
        };
        Self {
            inner: Inner::Vec(v),
        }
    }

    /// True if the buffer is a huge-page-advised mapping.
    pub fn is_mapped(&self) -> bool {
        !matches!(self.inner, Inner::Vec(_))
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        match &self.inner {
            Inner::Vec(v) => v.capacity() * std::mem::size_of::<T>(),
            #[cfg(target_os = "linux")]
            Inner::Mapped { map_bytes, .. } => *map_bytes,
        }
    }
}

#[cfg(target_os = "linux")]
fn map_huge<T>(len: usize, bytes: usize) -> Option<Inner<T>> {
    let map_bytes = footprint(bytes);
    // Over-allocate by one huge page so an aligned start exists, then trim.
    let raw_bytes = map_bytes + HUGE_PAGE;
    // SAFETY: a fresh anonymous private mapping that nothing else refers to;
    // the munmaps trim only its own head and tail (both inside the `raw_bytes`
    // mapped), madvise covers the aligned `map_bytes` kept, and every later
    // access goes through `len` elements of it (`map_bytes >= bytes`).
    unsafe {
        let raw = libc::mmap(
            std::ptr::null_mut(),
            raw_bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        if raw == libc::MAP_FAILED {
            return None;
        }
        let start = raw as usize;
        let aligned = start.div_ceil(HUGE_PAGE) * HUGE_PAGE;
        let head = aligned - start;
        if head > 0 {
            libc::munmap(raw, head);
        }
        let tail = raw_bytes - head - map_bytes;
        if tail > 0 {
            libc::munmap((aligned + map_bytes) as *mut libc::c_void, tail);
        }
        let base = aligned as *mut libc::c_void;
        // Advice only: without THP the mapping still works, in small pages.
        if huge_pages_wanted() {
            libc::madvise(base, map_bytes, libc::MADV_HUGEPAGE);
        }
        Some(Inner::Mapped {
            base,
            map_bytes,
            len,
        })
    }
}

/// False when `BRAINSIM_HUGE_PAGES=0`: on a VM whose host backs guest memory
/// lazily, fresh huge pages are slow to fault in (full microcircuit: build
/// 8.6 instead of 9.9 s, simulation 8% slower).
fn huge_pages_wanted() -> bool {
    std::env::var_os("BRAINSIM_HUGE_PAGES").is_none_or(|v| v != "0")
}

impl<T: Zeroable> Drop for BigBuf<T> {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Inner::Mapped {
            base, map_bytes, ..
        } = self.inner
        {
            // SAFETY: `base`/`map_bytes` are the mapping `map_huge` created and
            // that this value alone owns; `drop` runs once, and no slice of it
            // outlives `self` (they borrow it).
            unsafe { libc::munmap(base, map_bytes) };
        }
    }
}

impl<T: Zeroable> Deref for BigBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.inner {
            Inner::Vec(v) => v,
            #[cfg(target_os = "linux")]
            // SAFETY: `base` is a live mapping (unmapped only in `Drop`) of
            // `map_bytes >= len * size_of::<T>()` bytes, 2 MiB-aligned (enough
            // for any `T`), whose bytes are zeros or values written as `T`:
            // valid `T`s, as `T: Zeroable`.
            Inner::Mapped { base, len, .. } => unsafe {
                std::slice::from_raw_parts(*base as *const T, *len)
            },
        }
    }
}

impl<T: Zeroable> DerefMut for BigBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.inner {
            Inner::Vec(v) => v,
            #[cfg(target_os = "linux")]
            // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
            Inner::Mapped { base, len, .. } => unsafe {
                std::slice::from_raw_parts_mut(*base as *mut T, *len)
            },
        }
    }
}

impl<T: Zeroable + std::fmt::Debug> std::fmt::Debug for BigBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BigBuf(len {}, mapped {})", self.len(), self.is_mapped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_buffers_start_zeroed_and_keep_writes() {
        for len in [0usize, 10, (MIN_BYTES / 4) + 12_345] {
            let mut b = BigBuf::<i32>::zeroed(len);
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|&x| x == 0));
            for (i, x) in b.iter_mut().enumerate() {
                *x = i as i32;
            }
            assert!(b.iter().enumerate().all(|(i, &x)| x == i as i32));
            assert_eq!(
                b.is_mapped(),
                cfg!(target_os = "linux") && len * 4 >= MIN_BYTES
            );
            assert!(b.bytes() >= len * 4);
            assert_eq!(b.bytes(), footprint(len * 4));
        }
    }
}
