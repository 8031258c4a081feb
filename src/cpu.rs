//! What the running CPU can do. Hot loops are written once in portable Rust and compiled again
//! for AVX2 (and the valuation lanes for AVX-512F) with `#[target_feature]`, picked at run time
//! with [`avx2`] or [`Vectors::detect`]. The copies give the same bits: the code is the same,
//! and no loop relies on fused multiply-adds (which these features alone do not enable).
//! Must not know about any model.

/// True when the running CPU has AVX2 (always false off x86-64). Cached by the standard
/// library after the first call.
pub fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The widest vector instructions the valuation lanes use on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vectors {
    /// The portable build (SSE2 on x86-64).
    Portable,
    /// AVX2: four `f64` lanes.
    Avx2,
    /// AVX-512F: eight `f64` lanes.
    Avx512,
}

impl Vectors {
    /// The widest level the running CPU has.
    pub fn detect() -> Vectors {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && avx2() {
                return Vectors::Avx512;
            }
            if avx2() {
                return Vectors::Avx2;
            }
        }
        Vectors::Portable
    }

    /// Every level the running CPU can run, narrowest first (for tests that compare them).
    pub fn available() -> Vec<Vectors> {
        [Vectors::Portable, Vectors::Avx2, Vectors::Avx512]
            .into_iter()
            .filter(|v| *v as u8 <= Vectors::detect() as u8)
            .collect()
    }
}
