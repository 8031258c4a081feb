//! The shipped scheme presets (`scenarios/schemes/*.toml`), embedded at build time so that a
//! scenario can say `scheme = "zhongshan"` anywhere and the API can list them. Each preset file
//! names its source in a comment (listed in docs/schemes.md).

use super::Scheme;
use crate::input::InputErrors;

/// `(name, TOML text)` of every preset, in the order of the table in docs/schemes.md.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "zhongshan",
        include_str!("../../scenarios/schemes/zhongshan.toml"),
    ),
    (
        "weihai",
        include_str!("../../scenarios/schemes/weihai.toml"),
    ),
    (
        "shenzhen-pool",
        include_str!("../../scenarios/schemes/shenzhen-pool.toml"),
    ),
    (
        "guangzhou-bands",
        include_str!("../../scenarios/schemes/guangzhou-bands.toml"),
    ),
    (
        "shenzhen-ip-2018",
        include_str!("../../scenarios/schemes/shenzhen-ip-2018.toml"),
    ),
    (
        "sichuan-tianfu",
        include_str!("../../scenarios/schemes/sichuan-tianfu.toml"),
    ),
    (
        "zhongguancun-subsidy",
        include_str!("../../scenarios/schemes/zhongguancun-subsidy.toml"),
    ),
    (
        "xuchang-subsidies",
        include_str!("../../scenarios/schemes/xuchang-subsidies.toml"),
    ),
    (
        "eu-capped-guarantee",
        include_str!("../../scenarios/schemes/eu-capped-guarantee.toml"),
    ),
    (
        "sba-7a",
        include_str!("../../scenarios/schemes/sba-7a.toml"),
    ),
    (
        "korea-recovery",
        include_str!("../../scenarios/schemes/korea-recovery.toml"),
    ),
];

/// The names of all presets.
pub fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(n, _)| *n)
}

/// The TOML text of preset `name`.
pub fn text(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Parses preset `name`; `None` when there is no such preset.
pub fn get(name: &str) -> Option<Result<Scheme, InputErrors>> {
    text(name).map(|t| Scheme::from_toml_str(t, name))
}
