//! What the running CPU can do. Hot loops are written once in portable Rust and compiled a
//! second time for AVX2 (`#[target_feature]`), picked at run time with [`avx2`]. The two
//! copies give the same bits: the code is the same, and no loop relies on fused
//! multiply-adds (which AVX2 alone does not enable).
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
